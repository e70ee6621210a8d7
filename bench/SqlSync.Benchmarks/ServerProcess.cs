using System.Diagnostics;
using System.Globalization;

namespace SqlSync.Benchmarks;

/// <summary>
/// The parent's handle on a <see cref="ServerChild"/>: starts this same program in its server mode (through the dotnet
/// host when this one runs through it), or another build of it given as an executable (a self-contained single-file
/// publish: how a production server may be deployed), reads its address, sends it commands and reads its replies; its
/// resident set and open files are read from /proc/PID (<see cref="ProcessMemory"/>). Disposing quits the child (killed
/// if it does not exit within 30 s).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri syncUri)
    {
        _process = process;
        SyncUri = syncUri;
    }

    public Uri SyncUri { get; }

    public int Pid => _process.Id;

    /// <param name="documentIdleTimeout">The server's <c>DocumentIdleTimeout</c>; null keeps its default.</param>
    /// <param name="serverExe">
    /// An executable of this program to run the server with (its <c>server-child</c> mode), e.g. a self-contained
    /// single-file publish; null runs this same program.
    /// </param>
    public static async Task<ServerProcess> StartAsync(TimeSpan? documentIdleTimeout = null, string? serverExe = null)
    {
        if (serverExe is not null && !File.Exists(serverExe))
        {
            throw new FileNotFoundException($"the server executable '{serverExe}' does not exist", serverExe);
        }

        string host = serverExe is null ? Environment.ProcessPath! : Path.GetFullPath(serverExe);
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (serverExe is null && Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Not Assembly.Location: it is empty in a single-file publish (and the analyzer fails that publish on it).
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(ServerProcess).Assembly.GetName().Name + ".dll"));
        }

        start.ArgumentList.Add(ServerChild.Mode);
        if (documentIdleTimeout is TimeSpan idle)
        {
            start.ArgumentList.Add("--document-idle-timeout");
            start.ArgumentList.Add(idle.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        Process process = Process.Start(start)!;
        try
        {
            var uri = new Uri((await ReadReplyAsync(process, "uri"))[1]);
            return new ServerProcess(process, uri);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public long RssBytes() => ProcessMemory.RssBytes(Pid);

    public int OpenFiles() => ProcessMemory.OpenFiles(Pid);

    /// <summary>The child's open descriptors by kind (<see cref="ProcessMemory.Files"/>).</summary>
    public string Files() => ProcessMemory.Files(Pid);

    /// <summary>The managed heap and resident set after the child's full compacting collections.</summary>
    public async Task<(long Managed, long Rss)> MeasureAsync()
    {
        string[] reply = await AskAsync("measure", "memory");
        return (long.Parse(reply[1], CultureInfo.InvariantCulture), long.Parse(reply[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The server's open documents and memory releases so far (its metrics).</summary>
    public async Task<(long Open, long Releases)> CountersAsync()
    {
        string[] reply = await AskAsync("counters", "counters");
        return (long.Parse(reply[1], CultureInfo.InvariantCulture), long.Parse(reply[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The child's <see cref="ProcessMemory.Breakdown"/> (no collection).</summary>
    public async Task<string> BreakdownAsync() => string.Join(' ', (await AskAsync("breakdown", "breakdown")).Skip(1));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            _process.Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<string[]> AskAsync(string command, string word)
    {
        await _process.StandardInput.WriteLineAsync(command);
        return await ReadReplyAsync(_process, word);
    }

    /// <summary>The child's next line that starts with <paramref name="word"/>, split at spaces (its log lines are skipped).</summary>
    private static async Task<string[]> ReadReplyAsync(Process process, string word)
    {
        while (await process.StandardOutput.ReadLineAsync() is string line)
        {
            if (line.StartsWith(word + " ", StringComparison.Ordinal))
            {
                return line.Split(' ');
            }
        }

        throw new InvalidOperationException($"the benchmark server exited before it printed '{word}'");
    }
}
