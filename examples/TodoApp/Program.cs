using TodoApp;

// dotnet run --project examples/TodoApp                      scripted demo: embedded server, two clients
// dotnet run --project examples/TodoApp -- serve [options]   a coordinator server
// dotnet run --project examples/TodoApp -- client [options]  an interactive terminal client
try
{
    return args.Length == 0 ? await Demo.RunAsync() : args[0] switch
    {
        "demo" => await Demo.RunAsync(),
        "serve" => await TodoServer.RunAsync(CommandLine.Parse(args.AsSpan(1), "--data", "--urls")),
        "client" => await TerminalClient.RunAsync(CommandLine.Parse(args.AsSpan(1), "--server", "--name", "--data", "--list")),
        "-h" or "--help" or "help" => CommandLine.Usage(),
        _ => CommandLine.Fail($"unknown command '{args[0]}'"),
    };
}
catch (CommandLineException ex)
{
    return CommandLine.Fail(ex.Message);
}
