from fairwatch.cli import main

main()
