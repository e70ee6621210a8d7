using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using SqlSync.Mutations;

namespace SqlSync.Generators.Tests;

/// <summary>[Migration(n)] methods: the reducer runs them by number; bad ones are reported where they are.</summary>
[Trait("Category", "Versioning")]
public sealed class MigrationGeneratorTests
{
    private const string Source = """
        using SqlSync.Mutations;

        namespace App;

        [MutationSet]
        public static partial class Todos
        {
            [Mutation]
            public static void Add(IMutationContext context, string title) => context.Execute("INSERT INTO todos(title) VALUES (?)", title);

            [Migration(2)]
            static void AddPriority(IMutationContext context) => context.Execute("ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 0");

            [Migration(1)]
            static void CreateTodos(IMutationContext context) => context.Execute("CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
        }
        """;

    [Fact]
    public async Task TheReducerRunsMigrationsByNumber()
    {
        (ImmutableArray<Diagnostic> diagnostics, Compilation output, _) = await ContractHarness.RunAsync(ContractHarness.CreateDocument(Source, shipped: null));
        Assert.Empty(diagnostics);
        Assembly assembly = ContractHarness.Load(output);
        var migrations = (IMutationMigrations)assembly.GetType("App.Todos+Reducer")!.GetProperty("Instance")!.GetValue(null)!;

        Assert.Equal(2, migrations.SchemaVersion);
        Assert.Equal("CreateTodos", migrations.GetMigrationName(1));
        Assert.Equal("AddPriority", migrations.GetMigrationName(2));
        var context = new RecordingContext();
        migrations.Migrate(context, 1);
        migrations.Migrate(context, 2);
        Assert.Equal(new[] { "CREATE TABLE todos(id INTEGER PRIMARY KEY, title TEXT NOT NULL)", "ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 0" },
            context.Executed.Select(e => e.Sql));
        Assert.Throws<ArgumentOutOfRangeException>(() => migrations.Migrate(context, 3));
    }

    [Fact]
    public async Task ASetWithoutMigrationsHasNoMigrationsInterface()
    {
        string source = Source[..Source.IndexOf("    [Migration(2)]", StringComparison.Ordinal)] + "}\n";
        (_, Compilation output, _) = await ContractHarness.RunAsync(ContractHarness.CreateDocument(source, shipped: null));
        Type reducer = ContractHarness.Load(output).GetType("App.Todos+Reducer")!;
        Assert.False(typeof(IMutationMigrations).IsAssignableFrom(reducer));
    }

    [Theory]
    [InlineData("[Migration(1)] void Instance(IMutationContext context) { }", "SQLSYNC0036", "Migration 'App.Todos.Instance' is not static")]
    [InlineData("[Migration(1)] static void Extra(IMutationContext context, int n) { }", "SQLSYNC0036", "Migration 'App.Todos.Extra' does not take exactly one parameter, the IMutationContext")]
    [InlineData("[Migration(1)] static int Returns(IMutationContext context) => 0;", "SQLSYNC0036", "Migration 'App.Todos.Returns' does not return void")]
    [InlineData("[Migration(1)] static void One(IMutationContext context) { }\n[Migration(3)] static void Three(IMutationContext context) { }", "SQLSYNC0037", "Migration 'App.Todos.Three' has version 3, but the next version is 2")]
    [InlineData("[Migration(1)] static void A(IMutationContext context) { }\n[Migration(1)] static void B(IMutationContext context) { }", "SQLSYNC0037", "Migration 'App.Todos.B' has version 1, but migration 'App.Todos.A' has it already")]
    [InlineData("[Migration(0)] static void Zero(IMutationContext context) { }", "SQLSYNC0037", "Migration 'App.Todos.Zero' has version 0, but versions start at 1")]
    [InlineData("[Migration(1)] static void Stamp(IMutationContext context) => context.Execute(\"INSERT INTO t VALUES (?)\", System.DateTime.Now);", "SQLSYNC0012", "Mutation 'Todos.Stamp' uses 'DateTime.Now'")]
    public async Task ABadMigrationIsReportedAtTheMethod(string members, string id, string message)
    {
        string source = $$"""
            using SqlSync.Mutations;
            namespace App;
            [MutationSet]
            public static partial class Todos
            {
            {{members}}
            }
            """;
        ImmutableArray<Diagnostic> diagnostics = await GeneratorHarness.AllDiagnosticsAsync(source);
        Diagnostic diagnostic = Assert.Single(diagnostics, d => d.Id == id);
        Assert.StartsWith(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        string method = message.Split('\'')[1].Split('.').Last();
        int line = source.Split('\n').ToList().FindIndex(l => l.Contains(" " + method + "(", StringComparison.Ordinal));
        Assert.Equal(line, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }
}
