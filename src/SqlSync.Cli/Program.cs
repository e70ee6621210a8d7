using System.CommandLine;
using SqlSync.Cli.Commands;

// sqlsync: serve a coordinator; inspect, dump and verify document directories.
var root = new RootCommand("SqlSync command-line tool: serve a coordinator, inspect, dump and verify document directories.")
{
    ServeCommand.Create(),
    InspectCommand.Create(),
    DumpCommand.Create(),
    VerifyCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
