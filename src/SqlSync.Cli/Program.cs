using System.CommandLine;
using System.CommandLine.Parsing;
using Spectre.Console;
using SqlSync.Cli;
using SqlSync.Cli.Commands;

// sqlsync: serve a coordinator; inspect, dump, verify and export document directories.
if (Console.IsOutputRedirected)
{
    // Spectre.Console assumes 80 columns when it cannot ask a terminal: a file or a pipe gets whole lines.
    AnsiConsole.Profile.Width = ExitCodes.RedirectedWidth;
}

var root = new RootCommand("SqlSync command-line tool: serve a coordinator, inspect, dump, verify and export document directories. " + ExitCodes.Summary)
{
    ServeCommand.Create(),
    InspectCommand.Create(),
    DumpCommand.Create(),
    VerifyCommand.Create(),
    ExportCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line per error and where to read more, instead of System.CommandLine's error block and the whole help.
    foreach (ParseError error in parsed.Errors)
    {
        ErrorLine.Write(error.Message);
    }

    var names = new List<string>();
    for (CommandResult? command = parsed.CommandResult; command is not null; command = command.Parent as CommandResult)
    {
        names.Insert(0, command.Parent is null ? "sqlsync" : command.Command.Name);
    }

    await Console.Error.WriteLineAsync($"Run '{string.Join(' ', names)} --help' for usage.");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();
