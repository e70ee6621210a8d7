using Spectre.Console;

namespace SqlSync.Cli;

/// <summary>Runs a command body and turns failures into one clear line and an exit code.</summary>
internal static class CommandRunner
{
    public static int Run(Func<int> body) => RunAsync(() => Task.FromResult(body())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (SqlSyncException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error[/] ({ex.Code}): {ex.Message}");
            return ex.Code == SqlSyncErrorCode.InvalidArgument ? ExitCodes.Usage : ExitCodes.BadData;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BadImageFormatException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error[/]: {ex.Message}");
            return ExitCodes.BadData;
        }
    }
}
