using System.Diagnostics;
using Xunit;

namespace SqlSync.Cli.Tests;

/// <summary><c>sqlsync serve --azure-blob-journals</c> (decision 0037): the connection string comes from the environment only.</summary>
public sealed class ServeObjectStorageTests
{
    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task Serve_on_blob_journals_without_the_connection_string_says_where_to_put_it()
    {
        ProcessStartInfo info = Sqlsync.StartInfo("serve", "--data", Path.Combine(Path.GetTempPath(), "sqlsync-none-" + Guid.NewGuid().ToString("N")),
            "--mutations", typeof(NoteMutations).Assembly.Location, "--allow-anonymous", "--azure-blob-journals", "sqlsync");
        info.Environment.Remove("SQLSYNC_AZURE_STORAGE_CONNECTION_STRING");
        using Process process = Process.Start(info)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        string output = await stdout + await stderr;
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {output}");
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --azure-blob-journals needs", line, StringComparison.Ordinal);
        Assert.Contains("SQLSYNC_AZURE_STORAGE_CONNECTION_STRING", line, StringComparison.Ordinal);
    }
}
