from lifeboat.cli import main

main()
