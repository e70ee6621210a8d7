using SqlSync.Benchmarks;

// Usage: dotnet run -c Release --project bench/SqlSync.Benchmarks -- engine [--quick] [--write | --no-write] [--output PATH]
//        [--only local,local-memory,coordinator,rebase,memory,breakdown] [--cpu-time | --thread-cpu-time]   (local-memory: the in-memory local pair only)
//        [--rounds N] [--warmup-rounds N]   (measured and discarded interleaved rounds; defaults 7 and 1)
//        ... -- engine-breakdown [--quick] [--rounds N] [--warmup-rounds N]   (ablation: where the time of one Mutate / one batched step goes)
//        ... -- engine-profile [--quick]   (local Mutate in a loop for 15 s, for a profiler: perf record, dotnet-trace)
//        ... -- engine-sandbox [--quick]   (the reducer sandbox's hooks, each on and off, on single-row mutations)
//        ... -- network [--quick] [--write | --no-write] [--output PATH] [--no-page-deltas]   (loopback WebSockets, in-process Kestrel)
//        [--only paced,max,clients1,clients10,clients50] [--fsync on|off]
//        ... -- hostile [--quick] [--documents N] [--many-only] [--server-exe PATH]   (issue 13: the server's RSS and open files after 10,000 documents touched once, the server in a child process; an unrelated
//        document's round trip while another runs a slow step; --server-exe: the server child is that executable of this program,
//        e.g. a self-contained single-file publish). Prints; the figures go to docs/benchmarks.md by hand.
//        ... -- durable-mutate [--quick] [--blocking-only]   (issue 15: durable MutateAsync with 1, 4, 16 writers vs raw SQLite WAL/FULL; how long
//        MutateAsync blocks its caller). Prints; the figures go to docs/benchmarks.md by hand.
//        ... -- live [--quick]   (issue 17: local Mutate -> live query result delivered, p50/p99, 1 and 1,000 live queries)
//        ... -- live-remote [--quick]   (issue 17: client A mutates at 200/s -> client B's live query delivers, over loopback, p50/p99)
//        ... -- presence [--quick]   (issue 17: a presence update seen by 50 other clients over loopback, p50/p99)
//        ... -- initial-sync [--megabytes N] [--only entries|checkpoint] [--runs N] [--perf-fifo PATH]   (issue 14: a new client syncs an N MB document over loopback WebSocket, from entries and from a checkpoint)
//        ... -- idle-connections [--count N]   (server memory per idle connection; the server runs in a child process)
// A full run writes the "Engine" (or "Network") section of docs/benchmarks.md; a --quick run (a smoke test CI can afford)
// only prints, unless --write is given.
if (args.Length > 0 && args[0] == ServerChild.Mode)
{
    return await ServerChild.RunAsync(args);
}

if (args.Length > 0 && args[0] == "checkpoint")
{
    // Issue 14: ... -- checkpoint [--updates N]   (single-row updates; disk after compaction, reopen, join bytes)
    int updatesIndex = Array.IndexOf(args, "--updates");
    return await CheckpointBench.RunAsync(updatesIndex > 0 && updatesIndex + 1 < args.Length ? int.Parse(args[updatesIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 100_000, Console.WriteLine);
}

if (args.Length > 0 && args[0] == "large-document")
{
    // Issue 14 point 5: ... -- large-document [--mib N] [--cache-mib M]   (reads from an N MiB document with an M MiB page
    // cache against plain SQLite; defaults 2048 and 64). Prints; the figures go to docs/benchmarks.md by hand.
    int mibIndex = Array.IndexOf(args, "--mib"), cacheIndex = Array.IndexOf(args, "--cache-mib");
    return LargeDocumentBench.Run(
        mibIndex > 0 && mibIndex + 1 < args.Length ? int.Parse(args[mibIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 2048,
        cacheIndex > 0 && cacheIndex + 1 < args.Length ? int.Parse(args[cacheIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 64,
        Console.WriteLine);
}

if (args.Length > 0 && args[0] == "initial-sync")
{
    // Issue 14: ... -- initial-sync [--megabytes N]   (a new client syncs an N MB document over loopback WebSocket; default 100)
    // [--only entries|checkpoint] [--runs N] (new clients per case, one after the other, against one fill; the median is printed)
    // [--perf-fifo PATH] (perf record --control fifo:PATH: events enabled during each sync only)
    int megabytesIndex = Array.IndexOf(args, "--megabytes"), runsIndex = Array.IndexOf(args, "--runs"), caseIndex = Array.IndexOf(args, "--only"), fifoIndex = Array.IndexOf(args, "--perf-fifo");
    string? onlyCase = caseIndex > 0 && caseIndex + 1 < args.Length ? args[caseIndex + 1] : null;
    return await InitialSyncBench.RunAsync(new InitialSyncBench.Settings(
        megabytesIndex > 0 && megabytesIndex + 1 < args.Length ? int.Parse(args[megabytesIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 100,
        Entries: onlyCase is null or "entries", Checkpoint: onlyCase is null or "checkpoint",
        Runs: runsIndex > 0 && runsIndex + 1 < args.Length ? int.Parse(args[runsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 1,
        PerfFifo: fifoIndex > 0 && fifoIndex + 1 < args.Length ? args[fifoIndex + 1] : null), Console.WriteLine);
}

if (args.Length > 0 && args[0] == "objstore") // ObjectStoreBench: writes no file, so --no-write changes nothing
{
    return await ObjectStoreBench.RunAsync(args.Contains("--quick"), Console.WriteLine);
}

if (args.Length > 0 && args[0] == "idle-connections")
{
    int countIndex = Array.IndexOf(args, "--count");
    return await IdleConnectionsBench.RunAsync(countIndex > 0 && countIndex + 1 < args.Length ? int.Parse(args[countIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 2_000);
}

string[] positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
bool quick = args.Contains("--quick");
// --thread-cpu-time: the benchmark thread's CPU time only, without the tiered JIT's and the background GC's
// threads (gen0/gen1 collections run on the allocating thread and still count).
CpuClock.ThreadOnly = args.Contains("--thread-cpu-time");
Timing.UseCpuTime = args.Contains("--cpu-time") || CpuClock.ThreadOnly;
int outputIndex = Array.IndexOf(args, "--output");
string? output = outputIndex >= 0 && outputIndex + 1 < args.Length ? args[outputIndex + 1] : null;
int onlyIndex = Array.IndexOf(args, "--only");
string? onlyValue = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1] : null;
var only = new HashSet<string>(onlyValue?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [], StringComparer.Ordinal);
positional = positional.Where(a => a != output && a != onlyValue).ToArray();

// A partial run (--only, --fsync) never rewrites the document: its section would lack figures.
bool write = only.Count == 0 && (args.Contains("--write") || (!quick && !args.Contains("--no-write")));
int fsyncIndex = Array.IndexOf(args, "--fsync");
string? fsyncValue = fsyncIndex >= 0 && fsyncIndex + 1 < args.Length ? args[fsyncIndex + 1] : null;
positional = positional.Where(a => a != fsyncValue).ToArray();
if (fsyncValue is not (null or "on" or "off"))
{
    Console.Error.WriteLine($"--fsync takes on or off, not '{fsyncValue}'");
    return 2;
}

write &= fsyncValue is null;
// --rounds N / --warmup-rounds N override the measured and discarded rounds of the engine groups (and of
// engine-breakdown): on a loaded machine a ratio needs many interleaved rounds to mean anything.
int? roundsOption = IntOption("--rounds"), warmupOption = IntOption("--warmup-rounds");
positional = positional.Where(a => !OptionValues("--rounds", "--warmup-rounds").Contains(a)).ToArray();

string[] groups = positional.Length == 1 && positional[0] == "network" ? NetworkRun.Groups : EngineRun.Groups;
if (only.Except(groups).FirstOrDefault() is string unknown)
{
    Console.Error.WriteLine($"unknown group '{unknown}'; groups: {string.Join(", ", groups)}");
    return 2;
}

if (positional.Length == 1 && positional[0] == "network")
{
    LatencyBench.PageDeltas = !args.Contains("--no-page-deltas");
    bool[] fsyncModes = fsyncValue switch { "on" => [true], "off" => [false], _ => [true, false] };
    return await NetworkProgram.RunAsync(args, quick, write, output, only, fsyncModes);
}

if (positional.Length == 1 && positional[0] == "durable-mutate")
{
    return await DurableMutateBench.RunAsync(quick, Console.WriteLine, blockingOnly: args.Contains("--blocking-only"));
}

if (positional.Length >= 1 && positional[0] == "hostile") // its --documents N and --server-exe PATH leave N and PATH among the positionals
{
    int documentsIndex = Array.IndexOf(args, "--documents");
    int? documents = documentsIndex > 0 && documentsIndex + 1 < args.Length ? int.Parse(args[documentsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : null;
    int serverExeIndex = Array.IndexOf(args, "--server-exe");
    string? serverExe = serverExeIndex > 0 && serverExeIndex + 1 < args.Length ? args[serverExeIndex + 1] : null;
    if (serverExeIndex > 0 && (serverExe is null || !File.Exists(serverExe)))
    {
        Console.Error.WriteLine($"--server-exe takes the path of an executable of this program (e.g. a single-file publish), not '{serverExe}'");
        return 2;
    }

    return await HostileBench.RunAsync(quick, Console.WriteLine, documents, manyOnly: args.Contains("--many-only"), serverExe);
}

if (positional.Length == 1 && positional[0] == "live")
{
    return LiveQueryBench.Run(quick, Console.WriteLine);
}

if (positional.Length == 1 && positional[0] == "live-remote")
{
    return await RemoteLiveQueryBench.RunAsync(quick, Console.WriteLine);
}

if (positional.Length == 1 && positional[0] == "presence")
{
    return await PresenceBench.RunAsync(quick, Console.WriteLine);
}

if (positional.Length == 1 && positional[0] == "engine-breakdown")
{
    Console.WriteLine(Breakdown.Run(quick ? 2_000 : 20_000, roundsOption ?? (quick ? 2 : 5), warmupRounds: warmupOption ?? 1));
    return 0;
}

if (positional.Length == 1 && positional[0] == "engine-profile")
{
    // A tight loop of local Mutate for a profiler to sample (perf record, dotnet-trace); prints the rate.
    Console.WriteLine($"{LocalMutateBench.ProfileLoop(TimeSpan.FromSeconds(quick ? 2 : 15)):N0} local Mutate/s");
    return 0;
}

if (positional.Length == 1 && positional[0] == "engine-sandbox")
{
    Console.WriteLine(SandboxBench.Run(quick ? 2_000 : 30_000, quick ? 2 : 15));
    return 0;
}

if (positional.Length != 1 || positional[0] != "engine")
{
    Console.Error.WriteLine("usage: SqlSync.Benchmarks engine|engine-breakdown|engine-sandbox|network [--quick] [--write | --no-write] [--output PATH] [--only GROUP,...] [--cpu-time]");
    return 2;
}

#if DEBUG
Console.Error.WriteLine("warning: Debug build; figures are meaningless. Run with -c Release.");
#endif

string root = BenchmarkDoc.RepositoryRoot();
string command = "dotnet run -c Release --project bench/SqlSync.Benchmarks -- " + string.Join(' ', args);
MachineInfo machine = MachineInfo.Describe();
string loadBefore = MachineInfo.LoadAverage();
Console.WriteLine($"SqlSync engine benchmarks ({(quick ? "quick" : "full")}): {machine.Cpu}, {machine.Cores} cores, {machine.Memory}, {machine.Os}, {machine.Dotnet}, SQLite {machine.Sqlite}");
Console.WriteLine($"load average before: {loadBefore}");

BenchSettings settings = quick ? BenchSettings.QuickRun : BenchSettings.Full;
settings = settings with { Rounds = roundsOption ?? settings.Rounds, WarmupRounds = warmupOption ?? settings.WarmupRounds };
EngineReport report = EngineRun.Run(settings, only, Console.WriteLine);
string loadAfter = MachineInfo.LoadAverage();
if (quick)
{
    report.Notes.Add("Quick run (`--quick`): few iterations, a smoke test only; do not quote these figures.");
}

if (Timing.UseCpuTime)
{
    report.Notes.Add(CpuClock.ThreadOnly
        ? "Timed in the benchmark thread's CPU time (`--thread-cpu-time`), not wall time; the fsync figures are not meaningful so."
        : "Timed in process CPU time (`--cpu-time`), not wall time; the fsync figures are not meaningful so.");
}

Console.WriteLine();
Console.WriteLine(report.TargetTable());
Console.WriteLine(report.FigureTable());
Console.WriteLine(report.Breakdown);
Console.WriteLine($"load average after: {loadAfter}");

if (write)
{
    string path = output ?? Path.Combine(root, "docs", "benchmarks.md");
    string analysisPath = Path.Combine(root, "bench", "SqlSync.Benchmarks", "engine-analysis.md");
    string analysis = File.Exists(analysisPath) ? File.ReadAllText(analysisPath) : string.Empty;
    BenchmarkDoc.Write(path, BenchmarkDoc.Section(report, machine, command, loadBefore, loadAfter, analysis));
    Console.WriteLine($"wrote the Engine section of {path}");
}

return 0;

int? IntOption(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : null;
}

string[] OptionValues(params string[] names) =>
    names.Select(name => Array.IndexOf(args, name)).Where(i => i >= 0 && i + 1 < args.Length).Select(i => args[i + 1]).ToArray();
