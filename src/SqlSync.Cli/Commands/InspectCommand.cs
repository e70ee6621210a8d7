using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using SqlSync.Documents;

namespace SqlSync.Cli.Commands;

/// <summary><c>sqlsync inspect PATH</c>: journal ranges, timelines and their applied LSNs, sizes.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A document directory, or a server data directory holding several." };
        var command = new Command("inspect", "Show a document's journal ranges, timelines with their applied LSNs, and sizes.") { path };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            int code = ExitCodes.Success;
            foreach (string directory in DocumentDirectories.Find(result.GetValue(path)!))
            {
                code = ExitCodes.Worst(code, Inspect(directory));
            }

            return code;
        }));
        return command;
    }

    private static int Inspect(string directory)
    {
        string name = Path.GetFileName(Path.GetFullPath(directory));
        try
        {
            using DocumentInspector document = DocumentInspector.Open(directory);
            Show(document, directory);
            return CommandRunner.TornTailsOf(name, document);
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.JournalInUse)
        {
            ErrorLine.Write($"{name}: in use: {ex.Message}");
            return ExitCodes.InUse;
        }
    }

    private static void Show(DocumentInspector document, string directory)
    {
        // Titled by the document id: a client's folder is named by its user (alice/), not by the document.
        string role = document.IsCoordinator ? "coordinator" : "client";
        string title = document.DocumentId is { } id
            ? $"document [bold]{Markup.Escape(id)}[/] ({role}, {Markup.Escape(directory)})"
            : $"[bold]{Markup.Escape(directory)}[/] ({role}; its document id is not recorded: opened before document.id was written)";
        var summary = new Table().Title(title).AddColumn("property").AddColumn("value");
        summary.AddRow("storage journal", Markup.Escape(document.StorageRange.ToString()));
        summary.AddRow("database", $"{document.SizeInPages} pages ({Bytes((long)document.SizeInPages * 4096)})");
        summary.AddRow("checksum", $"0x{document.StorageChecksum:X16}");
        summary.AddRow("on disk", Bytes(document.BytesOnDisk));
        summary.AddRow("user tables", Markup.Escape(string.Join(", ", document.UserTables())));
        AnsiConsole.Write(summary);

        IReadOnlyList<TimelineSummary> timelines = document.Timelines();
        var table = new Table().AddColumn(new TableColumn("timeline").NoWrap()).AddColumn("journal holds").AddColumn("applied up to").AddColumn("rejected");
        foreach (TimelineSummary timeline in timelines)
        {
            table.AddRow(timeline.Timeline.ToString(), Markup.Escape(timeline.Range.ToString()),
                timeline.AppliedLsn?.ToString() ?? "-", timeline.Rejected.ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(timelines.Count == 0 ? new Markup("[grey]no timelines[/]\n") : table);
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MiB",
    };
}
