using System.Diagnostics;
using SQLitePCL;
using SqlSync.Documents;

namespace SqlSync.Cli.Tests;

/// <summary>
/// <c>sqlsync export</c>: the committed page image as a plain SQLite file that SQLite itself opens and finds
/// sound, from a server's folder and from a client's folder (checkpoint plus tail); it refuses to overwrite
/// and leaves no file behind when the document is corrupt.
/// </summary>
public sealed partial class CliTests
{
    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportOfAServerFolderIsASoundSqliteDatabaseWithTheRows()
    {
        string directory = MakeDocument();
        await AddManyNotesAsync(directory, from: 10, count: 300); // several pages: interior b-tree pages too
        string output = Path.Combine(_root, "server.db");

        (int code, string stdout, string stderr) = await RunSplitAsync("export", directory, output);
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"exported .*: LSN \d+, \d+ pages \(\d+ bytes\), checksum 0x[0-9A-F]{16}", stdout);

        using var reader = DocumentInspector.Open(directory);
        Assert.Contains($"{reader.SizeInPages} pages", stdout, StringComparison.Ordinal);
        Assert.Contains($"0x{reader.StorageChecksum:X16}", stdout, StringComparison.Ordinal);
        Assert.Equal((long)reader.SizeInPages * 4096, new FileInfo(output).Length);

        Assert.Equal(new[] { "ok" }, QueryFile(output, "PRAGMA integrity_check").Select(r => (string)r[0]!));
        Assert.Equal(302L, QueryFile(output, "SELECT count(*) FROM notes")[0][0]);
        Assert.Equal("one", QueryFile(output, "SELECT text FROM notes WHERE id = 1")[0][0]);
        Assert.Equal(new byte[] { 1, 2, 255 }, QueryFile(output, "SELECT data FROM notes WHERE id = 1")[0][0]);
        Assert.Equal("note 309", QueryFile(output, "SELECT text FROM notes WHERE id = 309")[0][0]);
        Assert.Contains(QueryFile(output, "SELECT name FROM sqlite_master"), row => (string)row[0]! == "notes_text");
        Assert.Contains(QueryFile(output, "SELECT name FROM sqlite_master"), row => ((string)row[0]!).StartsWith("__sqlsync_", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp"));
        await AssertSqliteShellFindsItSoundAsync(output);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportOfAClientFolderReadsItsCheckpointAndTail()
    {
        string folder = Path.Combine(_root, "clients", "alice");
        string server = Path.Combine(_root, "data", "list");
        using (var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "list", Reducer = NoteMutations.Reducer.Instance, Directory = server, FsyncOnAppend = false }))
        using (var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "list", Reducer = NoteMutations.Reducer.Instance, Directory = folder }))
        {
            client.CreateSchema();
            for (int id = 1; id <= 100; id++)
            {
                client.AddNote(id, $"before the checkpoint {id}", null);
            }

            DirectSync.Sync(client, coordinator);
            await client.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.NotNull(client.NewestCheckpointLsn);
            for (int id = 101; id <= 150; id++)
            {
                client.AddNote(id, $"in the tail {id}", null);
            }

            DirectSync.Sync(client, coordinator);
        }

        Assert.Single(Directory.EnumerateFiles(Path.Combine(folder, "checkpoints"), "*.ckpt")); // the image is that checkpoint plus the tail
        string output = Path.Combine(_root, "client.db");
        (int code, string stdout, string stderr) = await RunSplitAsync("export", folder, output);
        Assert.True(code == 0, stdout + stderr);

        Assert.Equal(new[] { "ok" }, QueryFile(output, "PRAGMA integrity_check").Select(r => (string)r[0]!));
        Assert.Equal(150L, QueryFile(output, "SELECT count(*) FROM notes")[0][0]);
        Assert.Equal("before the checkpoint 7", QueryFile(output, "SELECT text FROM notes WHERE id = 7")[0][0]);
        Assert.Equal("in the tail 150", QueryFile(output, "SELECT text FROM notes WHERE id = 150")[0][0]);

        // The client's image is the server's, byte for byte, at the same LSN.
        string fromServer = Path.Combine(_root, "server.db");
        (code, string serverOut, _) = await RunSplitAsync("export", server, fromServer);
        Assert.True(code == 0, serverOut);
        Assert.Equal(await File.ReadAllBytesAsync(fromServer), await File.ReadAllBytesAsync(output));
        await AssertSqliteShellFindsItSoundAsync(output);
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportReportsProgressOnStandardErrorInWholeLinesWhenRedirectedAndNothingWhenQuiet()
    {
        string directory = MakeDocument();
        await AddManyNotesAsync(directory, from: 10, count: 300);
        using var reader = DocumentInspector.Open(directory);
        uint pages = reader.SizeInPages;
        reader.Dispose();

        (int code, string stdout, string stderr) = await RunSplitAsync("export", directory, Path.Combine(_root, "progress.db"));
        Assert.True(code == 0, stdout + stderr);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.True(lines.Length <= 11, "at most a line per tenth when redirected:\n" + stderr);
        Assert.DoesNotContain('\r', stderr); // no rewriting in place into a file or a pipe
        Assert.All(lines, l => Assert.Matches(@": export: [\d,]+ of [\d,]+ pages, [\d.,]+ of [\d.,]+ MiB \(\d+%\)$", l));
        Assert.EndsWith(FormattableString.Invariant($"{pages:N0} of {pages:N0} pages, {pages * 4096 / 1048576.0:N1} of {pages * 4096 / 1048576.0:N1} MiB (100%)"), lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("pages, ", stdout, StringComparison.Ordinal); // the result alone on standard output

        (code, stdout, stderr) = await RunSplitAsync("export", directory, Path.Combine(_root, "quiet.db"), "--quiet");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("", stderr);
        Assert.Contains("exported ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgressOnATerminalIsOneLineRewrittenInPlaceEndedOnceWithANewLine()
    {
        var writer = new StringWriter();
        var progress = new ProgressLine("doc: export", "pages", 4096, writer, terminal: true);
        for (long done = 0; done <= 1000; done += 10)
        {
            progress.Report((done, 1000));
        }

        progress.Report((1000, 1000)); // a repeat of the end writes nothing
        string text = writer.ToString();
        Assert.StartsWith("\r", text, StringComparison.Ordinal);
        Assert.EndsWith("doc: export: 1,000 of 1,000 pages, 3.9 of 3.9 MiB (100%)\u001b[K" + Environment.NewLine, text, StringComparison.Ordinal);
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)); // never a second line
        Assert.True(text.Split('\r').Length - 1 < 20, "throttled to ten a second: " + text.Split('\r').Length);

        var quiet = new ProgressLine("doc: export", "pages", 4096, writer: null, terminal: true);
        quiet.Report((1, 1)); // writes nowhere
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportRefusesAnExistingFileUnlessForced()
    {
        string directory = MakeDocument();
        string output = Path.Combine(_root, "existing.db");
        await File.WriteAllTextAsync(output, "keep me");

        (int code, string stdout, string stderr) = await RunSplitAsync("export", directory, output);
        Assert.True(code == 1, stdout + stderr);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.Contains("already exists", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Equal("keep me", await File.ReadAllTextAsync(output));

        (code, stdout, stderr) = await RunSplitAsync("export", directory, output, "--force");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(new[] { "ok" }, QueryFile(output, "PRAGMA integrity_check").Select(r => (string)r[0]!));
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp"));
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportOfACorruptJournalExitsTwoAndWritesNothing()
    {
        string directory = MakeDocument();
        Dictionary<string, (byte[] Bytes, DateTime Written)> before;
        string segment = Directory.EnumerateFiles(Path.Combine(directory, "storage"), "*.seg").Order().First();
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[32 + 12 + 100] ^= 0x40;
        await File.WriteAllBytesAsync(segment, bytes);
        before = Snapshot(directory);
        string output = Path.Combine(_root, "corrupt.db");

        (int code, string stdout, string stderr) = await RunSplitAsync("export", directory, output);
        Assert.True(code == 2, stdout + stderr);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp"));
        AssertUnchanged(before, Snapshot(directory), "export");
    }

    [Fact]
    [Trait("Category", "Checkpoint")]
    public async Task ExportOfATornTailWritesTheKeptEntriesAndExitsFour()
    {
        string directory = MakeDocument();
        string clean = Path.Combine(_root, "clean.db");
        (int code, string stdout, _) = await RunSplitAsync("export", directory, clean);
        Assert.True(code == 0, stdout);

        string segment = Directory.EnumerateFiles(Path.Combine(directory, "storage"), "*.seg").Order().Last();
        await using (var stream = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            stream.Write(new byte[] { 200, 0, 0, 0, 7, 0, 0, 0, 0, 0 });
        }

        Dictionary<string, (byte[] Bytes, DateTime Written)> before = Snapshot(directory);
        string torn = Path.Combine(_root, "torn.db");
        (code, stdout, string stderr) = await RunSplitAsync("export", directory, torn);
        Assert.True(code == 4, stdout + stderr);
        Assert.Contains("torn tail", stderr, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(clean), await File.ReadAllBytesAsync(torn));
        AssertUnchanged(before, Snapshot(directory), "export");
    }

    private static async Task AddManyNotesAsync(string directory, int from, int count)
    {
        string id = Path.GetFileName(directory);
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = id, Reducer = NoteMutations.Reducer.Instance, Directory = directory, FsyncOnAppend = false });
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = id, Reducer = NoteMutations.Reducer.Instance });
        DirectSync.Sync(client, coordinator);
        for (int i = from; i < from + count; i++)
        {
            client.AddNote(i, $"note {i}", new byte[64]);
        }

        DirectSync.Sync(client, coordinator);
        await Task.CompletedTask;
    }

    /// <summary>The sqlite3 shell, when the machine has one, opens the image and finds it sound.</summary>
    private static async Task AssertSqliteShellFindsItSoundAsync(string path)
    {
        string? shell = new[] { "/usr/bin/sqlite3", "/usr/local/bin/sqlite3" }.FirstOrDefault(File.Exists);
        if (shell is null)
        {
            return; // raw SQLite (above) checked it already
        }

        using Process process = Process.Start(new ProcessStartInfo(shell, new[] { "-readonly", path, "PRAGMA integrity_check;" }) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0 && (await stdout).Trim() == "ok", await stdout + await stderr);
    }

    /// <summary>Runs <paramref name="sql"/> on a plain SQLite file through raw SQLite (the bundle the runtime ships), read-only.</summary>
    private static List<object?[]> QueryFile(string path, string sql)
    {
        Batteries_V2.Init();
        int rc = raw.sqlite3_open_v2(path, out sqlite3 db, raw.SQLITE_OPEN_READONLY, null);
        try
        {
            Assert.True(rc == raw.SQLITE_OK, $"open: {raw.sqlite3_errmsg(db).utf8_to_string()}");
            rc = raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement);
            Assert.True(rc == raw.SQLITE_OK, $"prepare: {raw.sqlite3_errmsg(db).utf8_to_string()}");
            using (statement)
            {
                var rows = new List<object?[]>();
                while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    var row = new object?[raw.sqlite3_column_count(statement)];
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] = raw.sqlite3_column_type(statement, i) switch
                        {
                            raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, i),
                            raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, i),
                            raw.SQLITE_TEXT => raw.sqlite3_column_text(statement, i).utf8_to_string(),
                            raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, i).ToArray(),
                            _ => null,
                        };
                    }

                    rows.Add(row);
                }

                Assert.True(rc == raw.SQLITE_DONE, $"step: {raw.sqlite3_errmsg(db).utf8_to_string()}");
                return rows;
            }
        }
        finally
        {
            db.Dispose();
        }
    }
}
