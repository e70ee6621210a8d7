using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Transport;

namespace SqlSync.Cli.Tests;

public sealed partial class CliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sqlsync-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>A coordinator directory with a few notes and one rejected mutation.</summary>
    private string MakeDocument(string id = "notes")
    {
        string directory = Path.Combine(_root, "data", id);
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = id, Reducer = NoteMutations.Reducer.Instance, Directory = directory, FsyncOnAppend = false });
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = NoteMutations.Reducer.Instance, KeepMutationsThatFailLocally = true });
        client.CreateSchema();
        client.AddNote(2, "it's two", null);
        client.AddNote(1, "one", new byte[] { 1, 2, 255 });
        client.Explode();
        DirectSync.Sync(client, coordinator);
        return directory;
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task InspectShowsRangesTimelinesAndAppliedLsns()
    {
        string directory = MakeDocument();
        (int code, string output) = await Sqlsync.RunAsync("inspect", directory);
        Assert.True(code == 0, output);
        Assert.Contains("coordinator", output);
        Assert.Contains("notes", output);
        Assert.Matches(TimelineRow(), output); // one timeline, applied up to 3, one rejection

        (code, output) = await Sqlsync.RunAsync("inspect", Path.GetDirectoryName(directory)!);
        Assert.True(code == 0, output);
        Assert.Contains("notes", output);
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task DumpWritesSqlThatRebuildsTheTablesAndJson()
    {
        string directory = MakeDocument();
        (int code, string sql) = await Sqlsync.RunAsync("dump", directory);
        Assert.True(code == 0, sql);
        Assert.Contains("CREATE TABLE notes", sql);
        Assert.Contains("INSERT INTO \"notes\" VALUES(1, 'one', X'0102FF');", sql);
        Assert.Contains("INSERT INTO \"notes\" VALUES(2, 'it''s two', NULL);", sql);
        Assert.True(sql.IndexOf("VALUES(1,", StringComparison.Ordinal) < sql.IndexOf("VALUES(2,", StringComparison.Ordinal), "rows in key order");
        Assert.Contains("CREATE INDEX notes_text", sql);
        Assert.DoesNotContain("__sqlsync", sql);

        (code, string json) = await Sqlsync.RunAsync("dump", directory, "--format", "json", "--table", "notes");
        Assert.True(code == 0, json);
        using JsonDocument parsed = JsonDocument.Parse(json);
        JsonElement rows = parsed.RootElement.GetProperty("notes");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal("one", rows[0].GetProperty("text").GetString());
        Assert.Equal(new byte[] { 1, 2, 255 }, rows[0].GetProperty("data").GetBytesFromBase64());
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task VerifyPassesOnAGoodDocumentAndFailsOnACorruptedJournal()
    {
        string directory = MakeDocument();
        (int code, string output) = await Sqlsync.RunAsync("verify", directory);
        Assert.True(code == 0, output);
        Assert.Contains("ok", output);

        // Flip a byte inside the first entry of the storage journal (not its tail: that would be a torn tail, repaired).
        string segment = Directory.EnumerateFiles(Path.Combine(directory, "storage"), "*.seg").Order().First();
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[32 + 12 + 100] ^= 0x40;
        await File.WriteAllBytesAsync(segment, bytes);

        (code, output) = await Sqlsync.RunAsync("verify", directory);
        Assert.Equal(2, code);
        Assert.Contains("JournalCorrupt", output);
        Assert.Contains("LSN 0", output);
    }

    [Theory]
    [Trait("Category", "Cli")]
    [InlineData(1, "inspect")]
    [InlineData(1, "dump", "--format", "xml", "DIR")]
    [InlineData(1, "frobnicate")]
    [InlineData(1, "serve", "--data", "DIR")]
    [InlineData(1, "inspect", "/definitely/not/here")]
    [InlineData(1, "dump", "DIR", "--table", "nope")]
    [InlineData(1, "serve", "--data", "DIR", "--mutations", "/definitely/not/here.dll")]
    [InlineData(1, "serve", "--data", "DIR", "--mutations", "NOTES", "--urls", "http://127.0.0.1:0")] // no --allow-anonymous outside Development
    public async Task WrongArgumentsAndMissingPathsAreClearErrors(int expected, params string[] args)
    {
        string directory = MakeDocument();
        string[] actual = args.Select(a => a == "DIR" ? directory : a == "NOTES" ? typeof(NoteMutations).Assembly.Location : a).ToArray();
        (int code, string output) = await Sqlsync.RunAsync(actual);
        Assert.True(code == expected, $"exit {code}: {output}");
        Assert.False(string.IsNullOrWhiteSpace(output));
        Assert.DoesNotContain("   at ", output); // a message, not a stack trace
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task ServeWithoutAllowAnonymousRefusesToStartOutsideDevelopment()
    {
        string data = Path.Combine(_root, "refused");
        (int code, string output) = await Sqlsync.RunAsync("serve", "--data", data, "--mutations", typeof(NoteMutations).Assembly.Location, "--urls", "http://127.0.0.1:0");
        Assert.True(code == 1, $"exit {code}: {output}");
        Assert.Contains("--allow-anonymous", output);
        Assert.False(Directory.Exists(data), "nothing was opened");
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task ServeInTheDevelopmentEnvironmentServesWithoutAllowAnonymous()
    {
        ProcessStartInfo info = Sqlsync.StartInfo("serve", "--data", Path.Combine(_root, "development"), "--mutations", typeof(NoteMutations).Assembly.Location, "--urls", "http://127.0.0.1:0");
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        using Process server = Process.Start(info)!;
        try
        {
            Uri uri = await ReadServingUriAsync(server); // outside Development it exits with the refusal instead
            Assert.Equal("ws", uri.Scheme);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    [Trait("Category", "Cli")]
    public async Task ServeRunsACoordinatorThatAClientSyncsWith()
    {
        string data = Path.Combine(_root, "served");
        using Process server = Process.Start(Sqlsync.StartInfo("serve", "--data", data, "--mutations", typeof(NoteMutations).Assembly.Location, "--urls", "http://127.0.0.1:0", "--allow-anonymous"))!;
        try
        {
            Uri uri = await ReadServingUriAsync(server);
            using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "served", Reducer = NoteMutations.Reducer.Instance });
            await using var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri });
            sync.Add(client);
            sync.Start();
            client.CreateSchema();
            client.AddNote(7, "over the wire", null);
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (client.PendingMutationCount > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.Equal(0, client.PendingMutationCount);
            Assert.NotEqual(LsnRange.Empty, client.StorageRange);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        (int code, string output) = await Sqlsync.RunAsync("dump", Path.Combine(data, "served"));
        Assert.True(code == 0, output);
        Assert.Contains("'over the wire'", output);
    }

    private static async Task<Uri> ReadServingUriAsync(Process server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            string? line = await server.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException("sqlsync serve exited: " + await server.StandardError.ReadToEndAsync());
            }

            Match match = ServingLine().Match(line);
            if (match.Success)
            {
                return new Uri(match.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"serving (ws://\S+)")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"[0-9a-f]{32}\s*│\s*\[0, 3\]\s*│\s*3\s*│\s*1")]
    private static partial Regex TimelineRow();
}
