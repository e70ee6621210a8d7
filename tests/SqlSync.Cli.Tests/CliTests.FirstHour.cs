using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SqlSync.Documents;

namespace SqlSync.Cli.Tests;

/// <summary>What a new user meets first: one-line errors, exit codes in the help, serve finding a reducer in a library, inspect naming documents.</summary>
public sealed partial class CliTests
{
    [Theory]
    [Trait("Category", "FirstHour")]
    [InlineData("dump", "DIR", "--format", "xml")]
    [InlineData("frobnicate")]
    [InlineData("inspect")]
    [InlineData("serve", "--data", "DIR")]
    [InlineData("inspect", "LONG")]
    [InlineData("dump", "DIR", "--table", "nope")]
    [InlineData("serve", "--data", "DIR", "--mutations", "LONG")]
    public async Task ErrorsAreSingleUnwrappedLinesWithOnePrefix(params string[] args)
    {
        string directory = MakeDocument();
        // A path far wider than 80 columns: the line that names it must hold it whole.
        string longPath = Path.Combine(_root, string.Concat(Enumerable.Repeat("a-rather-long-folder-name/", 8)), "missing.dll");
        string[] actual = args.Select(a => a switch { "DIR" => directory, "LONG" => longPath, _ => a }).ToArray();
        (int code, string stdout, string stderr) = await RunSplitAsync(actual);

        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.True(stdout.Length == 0, "nothing on standard output: " + stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] errors = lines.Where(l => !l.StartsWith("Run 'sqlsync", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(errors);
        Assert.All(errors, line => Assert.StartsWith("error: ", line, StringComparison.Ordinal));
        Assert.True(lines.Length <= errors.Length + 1, "at most one hint line besides the errors:\n" + stderr);
        Assert.DoesNotContain("Usage:", stderr, StringComparison.Ordinal); // not the whole help
        if (args.Contains("LONG"))
        {
            Assert.Contains(errors, line => line.Contains(longPath, StringComparison.Ordinal));
        }

        if (args.Contains("xml"))
        {
            Assert.Equal("error: --format must be sql or json, not 'xml'.", Assert.Single(errors));
            Assert.Equal("Run 'sqlsync dump --help' for usage.", lines[^1]);
        }
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task HelpListsTheExitCodes()
    {
        (int code, string output) = await Sqlsync.RunAsync("--help");
        Assert.True(code == 0, output);
        foreach (string text in new[] { "0 done", "1 wrong arguments", "2 a corrupt", "3 something unexpected", "4 a torn tail", "5 in use" })
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task ServeFindsTheReducerInALibraryTheApplicationReferences()
    {
        // app.dll has no mutations; it references this test assembly, whose NoteMutations has the reducer.
        string app = CompileApplicationReferencingTheMutations();
        string data = Path.Combine(_root, "served-by-reference");
        using Process server = Process.Start(Sqlsync.StartInfo("serve", "--data", data, "--mutations", app, "--urls", "http://127.0.0.1:0", "--allow-anonymous"))!;
        try
        {
            Uri uri = await ReadServingUriAsync(server);
            Assert.EndsWith("/sync", uri.AbsolutePath, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task ServeSaysWhatToPassWhenNoReducerIsFound()
    {
        string library = Path.Combine(AppContext.BaseDirectory, "DiffPlex.dll");
        if (!File.Exists(library))
        {
            library = Path.Combine(AppContext.BaseDirectory, "Spectre.Console.dll");
        }

        (int code, string output) = await Sqlsync.RunAsync("serve", "--data", Path.Combine(_root, "none"), "--mutations", library, "--allow-anonymous");
        Assert.True(code == 1, $"exit {code}: {output}");
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: No generated reducer in", line, StringComparison.Ordinal);
        Assert.Contains("[MutationSet]", line, StringComparison.Ordinal);
        Assert.Contains("pass --mutations", line, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "FirstHour")]
    public async Task InspectNamesAClientFolderByItsDocumentIdAndKeepsTimelineIdsWhole()
    {
        string folder = Path.Combine(_root, "clients", "alice");
        string timeline;
        using (var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "shopping-list", Reducer = NoteMutations.Reducer.Instance, Directory = folder }))
        {
            client.CreateSchema();
            client.AddNote(1, "milk", null);
            timeline = client.TimelineId.ToString();
        }

        (int code, string output) = await Sqlsync.RunAsync("inspect", folder);
        Assert.True(code == 0, output);
        Assert.Contains("document shopping-list (client,", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), line => line.Contains(timeline, StringComparison.Ordinal));
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunSplitAsync(params string[] args)
    {
        using Process process = Process.Start(Sqlsync.StartInfo(args))!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Compiles app.dll (a class that uses NoteMutations) into a folder beside a copy of this assembly.</summary>
    private string CompileApplicationReferencingTheMutations()
    {
        string folder = Path.Combine(_root, "app");
        Directory.CreateDirectory(folder);
        string mutations = typeof(NoteMutations).Assembly.Location;
        File.Copy(mutations, Path.Combine(folder, Path.GetFileName(mutations)));
        string[] platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        CSharpCompilation compilation = CSharpCompilation.Create("App",
            [CSharpSyntaxTree.ParseText("public static class App { public static object Reducer => SqlSync.Cli.Tests.NoteMutations.Reducer.Instance; }")],
            platform.Append(mutations).Append(typeof(SqlSyncException).Assembly.Location).Distinct().Select(p => MetadataReference.CreateFromFile(p)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        string app = Path.Combine(folder, "App.dll");
        var emitted = compilation.Emit(app);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return app;
    }
}
