using System.Text.Json;
using System.Xml.Linq;

namespace SqlSync.FirstHour.Tests;

/// <summary>
/// <c>dotnet new sqlsync-app</c> from the packed template package (installed into a private template hive):
/// what it creates builds, its tests pass, and its server and client sync.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
[Trait("Category", "FirstHour")]
public sealed class TemplateTests(PackedFeed feed)
{
    [Fact]
    public async Task TheCreatedAppBuildsTestsAndSyncs()
    {
        string hive = Path.Combine(feed.Work, "template-hive");
        string app = Path.Combine(feed.Work, "template-app");
        string package = Path.Combine(feed.Feed, $"SqlSync.Templates.{feed.Version}.nupkg");
        Dotnet.Run(feed.Work, "new", "install", package, "--debug:custom-hive", hive);
        Dotnet.Run(feed.Work, "new", "sqlsync-app", "-n", "Shop", "-o", app, "--sqlsync-version", feed.Version, "--debug:custom-hive", hive);

        foreach (string project in new[] { "Shop.Mutations", "Shop.Server", "Shop.Client", "Shop.Tests" })
        {
            Assert.True(File.Exists(Path.Combine(app, project, project + ".csproj")), $"{project} was not created");
        }

        Assert.Contains("namespace Shop.Mutations;", await File.ReadAllTextAsync(Path.Combine(app, "Shop.Mutations", "TodoMutations.cs")), StringComparison.Ordinal);
        feed.WriteNuGetConfig(app);
        Dotnet.Run(app, "build", "Shop.slnx");
        string tests = Dotnet.Run(app, "test", "Shop.slnx", "--no-build");
        Assert.Contains("Passed!", tests, StringComparison.Ordinal);

        string output = await ServerAndClient.RunAsync(app,
            Path.Combine(app, "Shop.Server", "bin", "Debug", "net10.0", "Shop.Server.dll"), ["--urls", "http://127.0.0.1:0"],
            Path.Combine(app, "Shop.Client", "bin", "Debug", "net10.0", "Shop.Client.dll"), "first hour");
        Assert.Equal("[ ] first hour", output.Trim());
    }

    [Fact]
    public void TheTemplateDefaultsToThisRepositorysVersionAndTestPackages()
    {
        string content = Path.Combine(RepositoryRoot.Path, "templates", "SqlSync.Templates", "content", "sqlsync-app");
        using JsonDocument template = JsonDocument.Parse(File.ReadAllText(Path.Combine(content, ".template.config", "template.json")));
        string version = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("Version").Single().Value;
        Assert.Equal(version, template.RootElement.GetProperty("symbols").GetProperty("SqlSyncVersion").GetProperty("defaultValue").GetString());

        XDocument tests = XDocument.Load(Path.Combine(content, "SqlSyncApp.Tests", "SqlSyncApp.Tests.csproj"));
        foreach (XElement reference in tests.Descendants("PackageReference").Where(r => !((string)r.Attribute("Include")!).StartsWith("SqlSync.", StringComparison.Ordinal)))
        {
            Assert.Equal(feed.PackageVersions[(string)reference.Attribute("Include")!], (string)reference.Attribute("Version")!);
        }
    }
}
