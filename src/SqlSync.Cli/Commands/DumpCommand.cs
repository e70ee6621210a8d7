using System.CommandLine;
using SqlSync.Documents;

namespace SqlSync.Cli.Commands;

/// <summary><c>sqlsync dump PATH [--format sql|json] [--table NAME]</c>.</summary>
internal static class DumpCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A document directory." };
        var format = new Option<string>("--format") { Description = "sql or json.", DefaultValueFactory = _ => "sql", HelpName = "sql|json" };
        // Not AcceptOnlyFromAmong: its message spans lines; this one names the valid formats in one.
        format.Validators.Add(option =>
        {
            string? value = option.GetValueOrDefault<string>();
            if (value is not ("sql" or "json"))
            {
                option.AddError($"--format must be sql or json, not '{value}'.");
            }
        });
        var table = new Option<string[]>("--table") { Description = "Dump only these tables (repeatable).", AllowMultipleArgumentsPerToken = true };
        var command = new Command("dump", "Write a document's tables as SQL statements or JSON, rows in primary-key order.") { path, format, table };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string directory = result.GetValue(path)!;
            using DocumentInspector document = DocumentInspector.Open(directory);
            IReadOnlyList<string> all = document.UserTables();
            string[] wanted = result.GetValue(table) ?? Array.Empty<string>();
            string[] missing = wanted.Except(all, StringComparer.Ordinal).ToArray();
            if (missing.Length > 0)
            {
                throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                    $"No such table: {string.Join(", ", missing)}. The document has: {string.Join(", ", all)}.");
            }

            IReadOnlyList<string> tables = wanted.Length > 0 ? wanted : all;
            if (result.GetValue(format) == "json")
            {
                using Stream stdout = Console.OpenStandardOutput();
                TableDump.WriteJson(document, tables, stdout);
                stdout.Write("\n"u8);
            }
            else
            {
                TableDump.WriteSql(document, tables, Console.Out);
            }

            // The dump shows the entries before a torn tail (what the owner keeps); the tail is reported.
            return CommandRunner.TornTailsOf(Path.GetFileName(Path.GetFullPath(directory)), document);
        }));
        return command;
    }
}
