using System.Diagnostics;

namespace SqlSync.Cli.Tests;

/// <summary>Runs the built <c>sqlsync</c> tool as a child process, as a user would.</summary>
internal static class Sqlsync
{
    public static string ToolPath => Path.Combine(AppContext.BaseDirectory, "sqlsync.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(ToolPath);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        return info;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using Process process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }
}
