using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// The README's `dotnet run --project examples/Cluster`, end to end: Azurite, three silo processes with Azure Table
/// membership and blob journals, todo clients, a silo killed with SIGKILL mid-run. It must say it converged, exit 0
/// within its own deadline, and leave no silo process behind.
/// </summary>
[Collection(ClusterExampleRunsAlone.Name)]
public sealed partial class ClusterExampleTests
{
    /// <summary>The example's own deadline; the test gives it a little more before it kills it.</summary>
    private static readonly TimeSpan ExampleTimeout = TimeSpan.FromSeconds(150);

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task TheClusterExampleConvergesAfterASiloIsKilled()
    {
        string repository = RepositoryRoot();
        string? azuriteError = AzuriteInstall.Ensure(Path.Combine(repository, "eng", "azurite"));
        Assert.True(azuriteError is null, azuriteError);

        // Built beside this test (the project reference orders the build), in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string program = Path.Combine(repository, "examples", "Cluster", "bin", configuration, "net10.0", "Cluster.dll");
        Assert.True(File.Exists(program), $"{program} is missing: build the solution first.");

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { program, "--timeout", ExampleTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using Process example = Process.Start(start)!;
        example.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        example.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        example.BeginOutputReadLine();
        example.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        using (var deadline = new CancellationTokenSource(ExampleTimeout + TimeSpan.FromSeconds(20)))
        {
            try
            {
                await example.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                example.Kill(entireProcessTree: true);
                Assert.Fail($"examples/Cluster did not end within {clock.Elapsed.TotalSeconds:0} s:\n{Text(output)}");
            }
        }

        example.WaitForExit(); // the output's last lines
        string text = Text(output);
        Assert.True(example.ExitCode == 0, $"examples/Cluster exited with {example.ExitCode}:\n{text}");
        Assert.Matches(@"killing silo\d \(pid \d+, serving [a-z]", text); // the killed silo held at least one list
        Assert.Matches(@"\nconverged: 3 lists, 18 replicas .* 3 silos \(silo\d killed\)", text);

        // Nothing outlives the run: every silo process it started is gone.
        foreach (Match pid in SiloPid().Matches(text))
        {
            Assert.True(Gone(int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture)), $"silo process {pid.Groups[1].Value} is still running:\n{text}");
        }
    }

    private static bool Gone(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return process.HasExited; // a new process under a reused pid within seconds: possible, not seen
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SqlSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SqlSync.sln was not found above the test's folder.");
    }

    [GeneratedRegex(@"silo\d: pid (\d+),")]
    private static partial Regex SiloPid();
}
