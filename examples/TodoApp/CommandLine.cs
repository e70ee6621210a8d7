namespace TodoApp;

/// <summary>The example's small argument parser: <c>--name value</c> pairs from a fixed set.</summary>
internal static class CommandLine
{
    public static Dictionary<string, string> Parse(ReadOnlySpan<string> args, params string[] allowed)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!allowed.Contains(args[i]))
            {
                throw new CommandLineException($"unknown option '{args[i]}' (allowed: {string.Join(", ", allowed)})");
            }

            if (i + 1 >= args.Length)
            {
                throw new CommandLineException($"option '{args[i]}' needs a value");
            }

            values[args[i]] = args[i + 1];
        }

        return values;
    }

    public static int Usage()
    {
        Console.WriteLine("""
            TodoApp: a collaborative todo list on SqlSync.

              dotnet run --project examples/TodoApp
                  the scripted demo: an embedded server and two clients, one of them offline for a while
              dotnet run --project examples/TodoApp -- serve [--data DIR] [--urls http://127.0.0.1:5080]
                  a coordinator server
              dotnet run --project examples/TodoApp -- client [--server ws://127.0.0.1:5080/sync] [--name NAME] [--data DIR] [--list ID]
                  an interactive client (type 'help' inside)
            """);
        return 0;
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("run with --help for usage");
        return 1;
    }
}

/// <summary>Wrong arguments.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
