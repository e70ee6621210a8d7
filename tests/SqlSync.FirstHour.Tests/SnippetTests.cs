using System.Text;

namespace SqlSync.FirstHour.Tests;

/// <summary>
/// The README's Quickstart and Testing blocks, taken from the text itself, written into the projects the
/// Quickstart's commands create (same project files as <c>dotnet new classlib/web/console/xunit</c> plus the
/// <c>dotnet add</c> lines), built against the packed packages; the server and client run and sync.
/// </summary>
[Collection(PackedPackagesGroup.Name)]
[Trait("Category", "FirstHour")]
public sealed class SnippetTests(PackedFeed feed)
{
    /// <summary>What each Quickstart project is: its SDK, output, packages and whether it references the mutations.</summary>
    private static readonly Dictionary<string, (string Sdk, string? OutputType, string[] Packages, bool ReferencesMutations)> Projects = new()
    {
        ["Todo.Mutations"] = ("Microsoft.NET.Sdk", null, ["SqlSync.Runtime"], false),
        ["Todo.Server"] = ("Microsoft.NET.Sdk.Web", null, ["SqlSync.Server"], true),
        ["Todo.Client"] = ("Microsoft.NET.Sdk", "Exe", ["SqlSync.Runtime"], true),
        ["Todo.Tests"] = ("Microsoft.NET.Sdk", null, ["SqlSync.Testing", "Microsoft.NET.Test.Sdk", "xunit", "xunit.runner.visualstudio"], true),
    };

    [Fact]
    public async Task TheReadmeQuickstartBuildsTestsAndSyncs()
    {
        string root = Directory.CreateDirectory(Path.Combine(feed.Work, "readme")).FullName;
        IReadOnlyList<MarkdownCode> files = MarkdownCode.CSharpBlocks().Where(b => b.File is not null).ToArray();
        Assert.NotEmpty(files);
        foreach (MarkdownCode block in files)
        {
            string project = block.File!.Split('/')[0];
            Assert.True(Projects.ContainsKey(project), $"{block}: '{project}' is none of the Quickstart's projects ({string.Join(", ", Projects.Keys)}).");
            string path = Path.Combine(root, block.File!);
            Assert.False(File.Exists(path), $"{block}: a second block for {block.File}");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, block.Text);
        }

        var solution = new StringBuilder("<Solution>\n");
        foreach (string project in Projects.Keys.Where(p => Directory.Exists(Path.Combine(root, p))))
        {
            await File.WriteAllTextAsync(Path.Combine(root, project, project + ".csproj"), ProjectFile(project));
            solution.Append($"  <Project Path=\"{project}/{project}.csproj\" />\n");
        }

        await File.WriteAllTextAsync(Path.Combine(root, "Todo.slnx"), solution.Append("</Solution>\n").ToString());
        feed.WriteNuGetConfig(root);

        // The Testing block is compiled, not run: its snapshots do not exist until a user accepts them, and the
        // template's tests (TemplateTests) already run SqlSync.Testing from the packages. Lean CI.
        Dotnet.Run(root, "build", "Todo.slnx");

        string output = await ServerAndClient.RunAsync(root,
            Path.Combine(root, "Todo.Server", "bin", "Debug", "net10.0", "Todo.Server.dll"), ["http://127.0.0.1:0"],
            Path.Combine(root, "Todo.Client", "bin", "Debug", "net10.0", "Todo.Client.dll"));
        Assert.Equal("buy milk", output.Trim());
    }

    private string ProjectFile(string project)
    {
        (string sdk, string? outputType, string[] packages, bool referencesMutations) = Projects[project];
        var text = new StringBuilder($"<Project Sdk=\"{sdk}\">\n  <PropertyGroup>\n");
        if (outputType is not null)
        {
            text.Append($"    <OutputType>{outputType}</OutputType>\n");
        }

        text.Append("    <TargetFramework>net10.0</TargetFramework>\n    <ImplicitUsings>enable</ImplicitUsings>\n    <Nullable>enable</Nullable>\n  </PropertyGroup>\n  <ItemGroup>\n");
        foreach (string package in packages)
        {
            string version = package.StartsWith("SqlSync.", StringComparison.Ordinal) ? feed.Version : feed.PackageVersions[package];
            text.Append($"    <PackageReference Include=\"{package}\" Version=\"{version}\" />\n");
        }

        if (referencesMutations)
        {
            text.Append("    <ProjectReference Include=\"../Todo.Mutations/Todo.Mutations.csproj\" />\n");
        }

        if (project == "Todo.Tests")
        {
            text.Append("    <Using Include=\"Xunit\" />\n"); // as `dotnet new xunit` writes it
        }

        return text.Append("  </ItemGroup>\n</Project>\n").ToString();
    }
}
