using System.CommandLine;
using Spectre.Console;
using SqlSync.Documents;

namespace SqlSync.Cli.Commands;

/// <summary><c>sqlsync verify PATH</c>: every journal checksum, then SQLite's integrity check of the page view.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A document directory, or a server data directory holding several." };
        Option<bool> quiet = ProgressOptions.Quiet();
        var command = new Command("verify", "Check every journal entry's checksum, the database checksum and SQLite's integrity_check.") { path, quiet };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            int code = ExitCodes.Success;
            foreach (string directory in DocumentDirectories.Find(result.GetValue(path)!))
            {
                code = ExitCodes.Worst(code, Verify(directory, result.GetValue(quiet)));
            }

            return code;
        }));
        return command;
    }

    /// <summary>Checks one document; returns its exit code (success, torn tail, in use or bad data).</summary>
    private static int Verify(string directory, bool quiet)
    {
        string name = Path.GetFileName(Path.GetFullPath(directory));
        try
        {
            using DocumentInspector document = DocumentInspector.Open(directory);
            document.VerifyJournals(new ProgressLine($"{name}: journal entries", "entries", 0, quiet));
            string integrity = document.IntegrityCheck();
            if (integrity != "ok")
            {
                ErrorLine.Write($"{name}: integrity_check found problems: {string.Join("; ", integrity.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
                return ExitCodes.BadData;
            }

            if (document.TornTails.Count > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{name}: torn tail[/] (storage {document.StorageRange} before it, checksum 0x{document.StorageChecksum:X16}); the rest is sound");
                return CommandRunner.TornTailsOf(name, document);
            }

            AnsiConsole.MarkupLineInterpolated($"[green]{name}: ok[/] (storage {document.StorageRange}, checksum 0x{document.StorageChecksum:X16})");
            return ExitCodes.Success;
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.JournalInUse)
        {
            ErrorLine.Write($"{name}: in use: {ex.Message}");
            return ExitCodes.InUse;
        }
        catch (SqlSyncException ex) when (ex.Code != SqlSyncErrorCode.InvalidArgument)
        {
            ErrorLine.Write($"{name}: corrupt: {ex.Message} ({ex.Code})");
            return ExitCodes.BadData;
        }
    }
}
