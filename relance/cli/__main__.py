from relance.cli.main import main

main()
