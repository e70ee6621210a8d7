using SqlSync.Benchmarks;

// Usage: dotnet run -c Release --project bench/SqlSync.Benchmarks -- engine [--quick] [--write | --no-write] [--output PATH]
// A full run writes the "Engine" section of docs/benchmarks.md; a --quick run (a smoke test CI can afford)
// only prints, unless --write is given.
string[] positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
bool quick = args.Contains("--quick");
int outputIndex = Array.IndexOf(args, "--output");
string? output = outputIndex >= 0 && outputIndex + 1 < args.Length ? args[outputIndex + 1] : null;
positional = positional.Where(a => a != output).ToArray();
bool write = args.Contains("--write") || (!quick && !args.Contains("--no-write"));

if (positional.Length != 1 || positional[0] != "engine")
{
    Console.Error.WriteLine("usage: SqlSync.Benchmarks engine [--quick] [--write | --no-write] [--output PATH]");
    return 2;
}

#if DEBUG
Console.Error.WriteLine("warning: Debug build; figures are meaningless. Run with -c Release.");
#endif

string root = RepositoryRoot();
string command = "dotnet run -c Release --project bench/SqlSync.Benchmarks -- " + string.Join(' ', args);
MachineInfo machine = MachineInfo.Describe();
string loadBefore = MachineInfo.LoadAverage();
Console.WriteLine($"SqlSync engine benchmarks ({(quick ? "quick" : "full")}): {machine.Cpu}, {machine.Cores} cores, {machine.Memory}, {machine.Os}, {machine.Dotnet}, SQLite {machine.Sqlite}");
Console.WriteLine($"load average before: {loadBefore}");

EngineReport report = EngineRun.Run(quick ? BenchSettings.QuickRun : BenchSettings.Full, Console.WriteLine);
string loadAfter = MachineInfo.LoadAverage();
if (quick)
{
    report.Notes.Add("Quick run (`--quick`): few iterations, a smoke test only; do not quote these figures.");
}

Console.WriteLine();
Console.WriteLine(report.TargetTable());
Console.WriteLine(report.FigureTable());
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

static string RepositoryRoot()
{
    for (DirectoryInfo? directory = new(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "SqlSync.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
