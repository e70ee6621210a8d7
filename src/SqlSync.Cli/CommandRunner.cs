namespace SqlSync.Cli;

/// <summary>Runs a command body and turns failures into one clear line and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>The exit code of a failure: usage, in use, or bad data.</summary>
    public static int ExitCodeOf(SqlSyncException ex) => ex.Code switch
    {
        SqlSyncErrorCode.InvalidArgument => ExitCodes.Usage,
        SqlSyncErrorCode.JournalInUse => ExitCodes.InUse,
        _ => ExitCodes.BadData,
    };

    /// <summary>
    /// Reports the torn tails <paramref name="document"/> found (on standard error, so a dump stays clean)
    /// and returns <see cref="ExitCodes.TornTail"/>, or <see cref="ExitCodes.Success"/> when there are none.
    /// </summary>
    public static int TornTailsOf(string name, SqlSync.Documents.DocumentInspector document)
    {
        foreach (SqlSync.Journals.JournalTornTail torn in document.TornTails)
        {
            Console.Error.WriteLine($"warning: {name}: torn tail in '{torn.SegmentPath}': {torn.Bytes} byte(s) at offset {torn.Offset}, " +
                $"where the frame for LSN {torn.Lsn} would start (an append cut short, never acknowledged; left as it is, the owner cuts it at its next open).");
        }

        return document.TornTails.Count > 0 ? ExitCodes.TornTail : ExitCodes.Success;
    }

    public static int Run(Func<int> body) => RunAsync(() => Task.FromResult(body())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (SqlSyncException ex)
        {
            ErrorLine.Write($"{ex.Message} ({ex.Code})");
            return ExitCodeOf(ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BadImageFormatException)
        {
            ErrorLine.Write(ex.Message);
            return ExitCodes.BadData;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug of ours: one line that names it, not a stack trace (SQLSYNC_CLI_STACK=1 shows it).
            ErrorLine.Write($"unexpected {ex.GetType().Name}: {ex.Message}");
            if (Environment.GetEnvironmentVariable("SQLSYNC_CLI_STACK") == "1")
            {
                await Console.Error.WriteLineAsync(ex.ToString());
            }

            return ExitCodes.Failure;
        }
    }
}
