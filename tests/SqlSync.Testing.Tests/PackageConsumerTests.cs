using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace SqlSync.Testing.Tests;

/// <summary>
/// Packs SqlSync.Runtime, SqlSync.Server, SqlSync.Testing and the SqlSync.Cli tool from a copy of the
/// sources, then builds and tests a user's project (Consumer/) that references the packages: a scenario
/// snapshot against its committed verified file, and a mutation synced through the packed server. The
/// tool is installed from the packed folder and run. Slow (Release builds, restores, a test run): minutes.
/// </summary>
[Trait("Category", "Testing")]
public sealed class PackageConsumerTests : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(8);
    private static readonly string[] CopiedRootFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig"];
    private static readonly string[] PackedProjects = ["SqlSync.Runtime", "SqlSync.Testing", "SqlSync.Server", "SqlSync.Cli"];

    private readonly string _work = Directory.CreateTempSubdirectory("sqlsync-consumer-").FullName;
    private readonly string _version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // a build server may still hold a file; the temporary directory is cleaned by the system
        }

        // The packages went into the user's NuGet cache under a version no one else uses: remove them.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "sqlsync.runtime", "sqlsync.testing", "sqlsync.server", "sqlsync.cli" })
        {
            string cached = Path.Combine(cache, id, _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
                if (!Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(cached)!).Any())
                {
                    Directory.Delete(Path.GetDirectoryName(cached)!);
                }
            }
        }
    }

    [Fact]
    public void A_project_built_against_the_packed_package_runs_a_snapshot_test()
    {
        string root = RepositoryRoot();
        string sources = Path.Combine(_work, "sources");
        string packages = Path.Combine(_work, "packages");
        string consumer = Path.Combine(_work, "consumer");

        foreach (string file in CopiedRootFiles)
        {
            File.Copy(Path.Combine(root, file), Path.Combine(sources, file).EnsureDirectory());
        }

        // Every project under src/, so a new project that a packed one references comes along.
        foreach (string project in Directory.GetDirectories(Path.Combine(root, "src")))
        {
            CopySources(project, Path.Combine(sources, "src", Path.GetFileName(project)));
        }

        foreach (string project in PackedProjects)
        {
            Run(sources, "pack", $"src/{project}/{project}.csproj", "-c", "Release", "-o", packages, $"-p:Version={_version}");
        }

        WriteConsumer(root, consumer, packages);
        string output = Run(consumer, "test", "Consumer.Tests.csproj");

        Assert.Contains("Passed!  - Failed:     0, Passed:     4, Skipped:     0, Total:     4", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(consumer, "*.received.*"));

        // The tool package installs as a dotnet tool and runs.
        string tools = Path.Combine(_work, "tools");
        Run(_work, "tool", "install", "SqlSync.Cli", "--version", _version, "--tool-path", tools, "--add-source", packages);
        string help = RunTool(Path.Combine(tools, "sqlsync"), "--help");
        Assert.Contains("inspect", help, StringComparison.Ordinal);
        Assert.Contains("verify", help, StringComparison.Ordinal);
    }

    private void WriteConsumer(string root, string consumer, string packages)
    {
        string template = Path.Combine(root, "tests", "SqlSync.Testing.Tests", "Consumer");
        Directory.CreateDirectory(consumer);
        foreach (string file in Directory.GetFiles(template).Where(f => !f.EndsWith(".template", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(consumer, Path.GetFileName(file)));
        }

        var versions = XDocument.Load(Path.Combine(root, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        var project = new StringBuilder(File.ReadAllText(Path.Combine(template, "Consumer.Tests.csproj.template")));
        project.Replace("{{SqlSync}}", _version);
        foreach (string id in new[] { "Microsoft.NET.Test.Sdk", "xunit", "xunit.runner.visualstudio" })
        {
            project.Replace("{{" + id + "}}", versions[id]);
        }

        File.WriteAllText(Path.Combine(consumer, "Consumer.Tests.csproj"), project.ToString());

        // The packed folder as one more source; the user's own configuration still brings xunit and the rest.
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sqlsync-packed" value="{packages}" />
              </packageSources>
            </configuration>
            """);
    }

    private static string Run(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        bool builds = arguments[0] is "build" or "pack" or "test" or "restore";
        foreach (string argument in builds ? arguments.Append("--disable-build-servers").Append("-nodeReuse:false") : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The child is a fresh command line build: nothing of this test host's MSBuild, nor the accept switch.
        foreach (string name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                name == SnapshotAssert.AcceptVariable)
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish in {CommandTimeout}.\n{Tail(output)}");
        }

        process.WaitForExit();
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        if (process.ExitCode != 0)
        {
            string received = string.Join("\n", Directory.GetFiles(directory, "*.received.*").Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
            Assert.Fail($"dotnet {string.Join(' ', arguments)} exited with {process.ExitCode}.\n{Tail(text)}\n{received}");
        }

        return text;
    }

    private static string RunTool(string tool, string argument)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(CommandTimeout), $"{tool} {argument} did not finish");
        Assert.True(process.ExitCode == 0, $"{tool} {argument} exited with {process.ExitCode}:\n{output}");
        return output;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(line).Append('\n');
            }
        }
    }

    private static string Tail(object output)
    {
        string text = output.ToString()!;
        return text.Length <= 6000 ? text : text[^6000..];
    }

    private static void CopySources(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            string first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj")
            {
                continue;
            }

            File.Copy(file, Path.Combine(to, relative).EnsureDirectory());
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SqlSync.sln")) && File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}.");
    }
}
