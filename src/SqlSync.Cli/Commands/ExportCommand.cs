using System.CommandLine;
using SqlSync.Documents;

namespace SqlSync.Cli.Commands;

/// <summary><c>sqlsync export PATH OUT [--force]</c>: the committed page image as a SQLite database file.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A document directory (a server's document folder or a client's folder)." };
        var output = new Argument<string>("out") { Description = "The SQLite database file to write." };
        var force = new Option<bool>("--force") { Description = "Replace the output file if it exists." };
        Option<bool> quiet = ProgressOptions.Quiet();
        var command = new Command("export", "Write a document's committed pages at its newest LSN as a SQLite database file that sqlite3 opens.") { path, output, force, quiet };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            IReadOnlyList<string> found = DocumentDirectories.Find(result.GetValue(path)!);
            if (found.Count != 1)
            {
                throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                    $"'{result.GetValue(path)}' holds {found.Count} documents; name one of them: {string.Join(", ", found.Select(Path.GetFileName))}.");
            }

            string directory = found[0];
            string target = result.GetValue(output)!;
            using DocumentInspector document = DocumentInspector.Open(directory);
            string name = Path.GetFileName(Path.GetFullPath(directory));
            var progress = new ProgressLine($"{name}: export", "pages", 4096, result.GetValue(quiet));
            ExportedImage image = document.Export(target, result.GetValue(force), progress);
            string lsn = image.Lsn is { } at ? $"LSN {at.Value}" : "no storage entry yet";
            Console.WriteLine($"exported {target}: {lsn}, {image.Pages} pages ({(long)image.Pages * 4096} bytes), checksum 0x{image.Checksum:X16}");

            // The image holds the entries before a torn tail (what the owner keeps); the tail is reported.
            return CommandRunner.TornTailsOf(name, document);
        }));
        return command;
    }
}
