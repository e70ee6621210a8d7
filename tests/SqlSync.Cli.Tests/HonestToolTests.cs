using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Transport;

namespace SqlSync.Cli.Tests;

/// <summary>
/// inspect, verify and dump never change what they read: on a torn tail they report it with its own exit code
/// (4) and leave every file as it was; on a running server's folder they say "in use" (5) and read nothing.
/// </summary>
public sealed partial class CliTests
{
    private static readonly string[] ReadingTools = { "inspect", "verify", "dump" };

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ToolsReportATornTailAndChangeNothing()
    {
        string directory = MakeDocument();
        (int code, string clean) = await Sqlsync.RunAsync("dump", directory);
        Assert.True(code == 0, clean);

        // The start of a frame, as an append cut short leaves it; and a temporary file a writer would delete.
        string segment = Directory.EnumerateFiles(Path.Combine(directory, "storage"), "*.seg").Order().Last();
        await using (var stream = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            stream.Write(new byte[] { 200, 0, 0, 0, 7, 0, 0, 0, 0, 0 });
        }

        await File.WriteAllBytesAsync(Path.Combine(directory, "storage", "00000000000000000099.seg.tmp"), new byte[] { 1, 2, 3 });
        Dictionary<string, (byte[] Bytes, DateTime Written)> before = Snapshot(directory);

        foreach (string tool in ReadingTools)
        {
            (code, string output) = await Sqlsync.RunAsync(tool, directory);
            Assert.True(code == 4, $"{tool} exits 4 on a torn tail, not {code}: {output}");
            Assert.Contains("torn tail", output, StringComparison.Ordinal);
            Assert.Contains(Path.GetFileName(segment), output, StringComparison.Ordinal);
            Assert.DoesNotContain(": ok", output, StringComparison.Ordinal);
            AssertUnchanged(before, Snapshot(directory), tool);
        }

        // The dump shows what the owner keeps: the entries before the tail.
        (_, string dumped) = await Sqlsync.RunAsync("dump", directory);
        Assert.StartsWith(clean.Trim(), dumped.Trim(), StringComparison.Ordinal);

        // A data directory of several documents: the worst code wins, corruption over a torn tail.
        (code, string all) = await Sqlsync.RunAsync("verify", Path.GetDirectoryName(directory)!);
        Assert.True(code == 4, all);
        string corrupt = MakeDocument("broken");
        string brokenSegment = Directory.EnumerateFiles(Path.Combine(corrupt, "storage"), "*.seg").Order().First();
        byte[] bytes = await File.ReadAllBytesAsync(brokenSegment);
        bytes[32 + 12 + 100] ^= 0x40;
        await File.WriteAllBytesAsync(brokenSegment, bytes);
        (code, all) = await Sqlsync.RunAsync("verify", Path.GetDirectoryName(directory)!);
        Assert.True(code == 2, all);
        AssertUnchanged(before, Snapshot(directory), "verify of the data directory");
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public async Task ToolsSayInUseOnARunningServersFolder()
    {
        string data = Path.Combine(_root, "live");
        using Process server = Process.Start(Sqlsync.StartInfo("serve", "--data", data, "--mutations", typeof(NoteMutations).Assembly.Location, "--urls", "http://127.0.0.1:0", "--allow-anonymous"))!;
        try
        {
            Uri uri = await ReadServingUriAsync(server);
            using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "live", Reducer = NoteMutations.Reducer.Instance });
            client.CreateSchema();
            client.AddNote(1, "running", null);
            await using (var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri, ClientName = "cli-test" }))
            {
                sync.Add(client);
                sync.Start();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (client.PendingMutationCount > 0)
                {
                    await Task.Delay(20, timeout.Token);
                }
            }

            string document = Path.Combine(data, "live");
            Dictionary<string, (byte[] Bytes, DateTime Written)> before = Snapshot(document);
            foreach (string tool in ReadingTools)
            {
                (int code, string output) = await Sqlsync.RunAsync(tool, tool == "dump" ? document : data);
                Assert.True(code == 5, $"{tool} exits 5 on a live server's folder, not {code}: {output}");
                Assert.Contains("in use", output, StringComparison.Ordinal);
                AssertUnchanged(before, Snapshot(document), tool);
            }

            string exported = Path.Combine(_root, "live.db");
            (int exportCode, string exportOutput) = await Sqlsync.RunAsync("export", document, exported);
            Assert.True(exportCode == 5, $"export exits 5 on a live server's folder, not {exportCode}: {exportOutput}");
            Assert.Contains("in use", exportOutput, StringComparison.Ordinal);
            Assert.False(File.Exists(exported), "export wrote a file from a document in use");
            AssertUnchanged(before, Snapshot(document), "export");

            // The server is not held back: it still syncs.
            client.AddNote(2, "still running", null);
            await using (var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = uri, ClientName = "cli-test" }))
            {
                sync.Add(client);
                sync.Start();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (client.PendingMutationCount > 0)
                {
                    await Task.Delay(20, timeout.Token);
                }
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Every file under <paramref name="directory"/>: its bytes and last write time (lock files a live server
    /// holds cannot be opened, even to read: their write time only).
    /// </summary>
    private static Dictionary<string, (byte[] Bytes, DateTime Written)> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(path => path, path => (Path.GetFileName(path) == "journal.lock" ? Array.Empty<byte>() : File.ReadAllBytes(path),
                File.GetLastWriteTimeUtc(path)), StringComparer.Ordinal);

    private static void AssertUnchanged(Dictionary<string, (byte[] Bytes, DateTime Written)> before,
        Dictionary<string, (byte[] Bytes, DateTime Written)> after, string tool)
    {
        Assert.True(before.Keys.Order(StringComparer.Ordinal).SequenceEqual(after.Keys.Order(StringComparer.Ordinal)),
            $"{tool} created or deleted files: before [{string.Join(", ", before.Keys)}], after [{string.Join(", ", after.Keys)}]");
        foreach ((string path, (byte[] bytes, DateTime written)) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[path].Bytes), $"{tool} changed the bytes of {path}");
            Assert.True(written == after[path].Written, $"{tool} changed the write time of {path}");
        }
    }
}
