using System.Globalization;
using System.Xml.Linq;

namespace SqlSync.FirstHour.Tests;

/// <summary>
/// SqlSync.Runtime, SqlSync.Server, SqlSync.Testing and SqlSync.Templates packed once (from a copy of the sources,
/// so the repository's own build is untouched) into a local folder feed, under a version no one else uses; the
/// packages it leaves in the NuGet cache are removed afterwards.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    private static readonly string[] CopiedRootFiles = ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", ".editorconfig"];
    // The generator projects are not packages, but listed so that they build in Release too (Runtime packs their output).
    private static readonly string[] Packed = ["src/SqlSync.Generators", "src/SqlSync.Generators.CodeFixes", "src/SqlSync.Runtime", "src/SqlSync.Testing", "src/SqlSync.Server", "templates/SqlSync.Templates"];

    public PackedFeed()
    {
        Version = "0.1.0-firsthour." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Work = Directory.CreateTempSubdirectory("sqlsync-firsthour-").FullName;
        Feed = Path.Combine(Work, "feed");
        string sources = Path.Combine(Work, "sources");
        foreach (string file in CopiedRootFiles)
        {
            Copy(Path.Combine(RepositoryRoot.Path, file), Path.Combine(sources, file));
        }

        foreach (string folder in new[] { "src", "templates", "eng" })
        {
            CopyTree(Path.Combine(RepositoryRoot.Path, folder), Path.Combine(sources, folder));
        }

        // One pack of a solution that lists the packages: one MSBuild run builds Runtime and the generator once.
        File.WriteAllText(Path.Combine(sources, "pack.slnx"),
            "<Solution>\n" + string.Concat(Packed.Select(p => $"  <Project Path=\"{p}/{Path.GetFileName(p)}.csproj\" />\n")) + "</Solution>\n");
        Dotnet.Run(sources, "pack", "pack.slnx", "-c", "Release", "-o", Feed, $"-p:Version={Version}");

        PackageVersions = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
    }

    /// <summary>The packages' version: unique per run.</summary>
    public string Version { get; }

    /// <summary>A temporary folder for this run; removed at the end.</summary>
    public string Work { get; }

    /// <summary>The folder feed holding the packed packages.</summary>
    public string Feed { get; }

    /// <summary>The repository's central package versions (xunit and the test SDK, for test projects).</summary>
    public IReadOnlyDictionary<string, string> PackageVersions { get; }

    /// <summary>A nuget.config for <paramref name="directory"/>: the feed as one more source beside the user's.</summary>
    public void WriteNuGetConfig(string directory) => File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="sqlsync-packed" value="{Feed}" />
          </packageSources>
        </configuration>
        """);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // a build server may still hold a file; the temporary directory is cleaned by the system
        }

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "sqlsync.runtime", "sqlsync.testing", "sqlsync.server", "sqlsync.templates" })
        {
            string cached = Path.Combine(cache, id, Version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            Copy(file, Path.Combine(to, relative));
        }
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to);
    }
}
