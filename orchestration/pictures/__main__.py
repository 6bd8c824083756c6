from orchestration.pictures.cli import main

main()
