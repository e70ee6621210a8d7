using SqlSync.Testing.Tests.Samples;
using static SqlSync.Testing.Tests.Samples.SampleMutations;

namespace SqlSync.Testing.Tests;

/// <summary>What a scenario's text holds and how values are written.</summary>
[Trait("Category", "Testing")]
public sealed class ScenarioTextTests
{
    [Theory]
    [InlineData(null, "NULL")]
    [InlineData(0L, "0")]
    [InlineData(-9223372036854775808L, "-9223372036854775808")]
    [InlineData(1.5, "1.5")]
    [InlineData(3.0, "3.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(1e20, "1E+20")]
    [InlineData(double.PositiveInfinity, "9e999")]
    [InlineData("", "''")]
    [InlineData("it's", "'it''s'")]
    [InlineData("a\nb", "'a' || char(10) || 'b'")]
    [InlineData("\t", "char(9)")]
    [InlineData("\t\tx", "char(9) || char(9) || 'x'")]
    public void Values_are_written_as_SQL_literals(object? value, string expected) =>
        Assert.Equal(expected, SqlLiteral.Format(value));

    [Fact]
    public void Blobs_are_hex() => Assert.Equal("X'00ABFF'", SqlLiteral.Format(new byte[] { 0x00, 0xAB, 0xFF }));

    [Fact]
    public void The_text_shows_schema_rows_by_key_rejections_and_checksum()
    {
        string text = SampleScenario.Create().Render();

        Assert.Contains("## given\nlsn 0 at 2025-01-01T00:00:00.000Z: CreateSchemaMutation {}\n", text, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE cells(sheet TEXT NOT NULL, n INTEGER NOT NULL, v, PRIMARY KEY(sheet, n)) WITHOUT ROWID;", text, StringComparison.Ordinal);
        Assert.Contains("CREATE VIEW titles", text, StringComparison.Ordinal);
        Assert.Contains("CREATE TRIGGER notes_logged", text, StringComparison.Ordinal);
        Assert.DoesNotContain("__sqlsync", text, StringComparison.Ordinal);
        Assert.Contains("## table log (2 rows)\n(message)\n('added İstanbul ılık')\n", text, StringComparison.Ordinal);

        int blobs = text.IndexOf("('blobs', 1, X'00ABFF')", StringComparison.Ordinal);
        int integers = text.IndexOf("('integers', 1, -9223372036854775808)", StringComparison.Ordinal);
        int reals = text.IndexOf("('reals', 1, 1.5)", StringComparison.Ordinal);
        Assert.True(blobs > 0 && blobs < integers && integers < reals, "rows of a WITHOUT ROWID table are ordered by its key");

        Assert.Contains("## rejected (1)\nlsn 16: FailMutation {\"message\":\"out of paper\"}\n  error: Fail: InvalidOperationException: out of paper\n", text, StringComparison.Ordinal);
        Assert.Matches(@"\n## checksum\n0x[0-9A-F]{16}\n$", text);
    }

    [Fact]
    public void An_empty_scenario_renders_an_empty_database()
    {
        string text = MutationScenario.For(Reducer.Instance).Render();

        Assert.Contains("## given\n(none)\n\n## when\n(none)\n\n## schema\n(empty)\n\n## rejected (0)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scenarios_are_immutable()
    {
        MutationScenario given = MutationScenario.For(Reducer.Instance).Given(new CreateSchemaMutation());
        MutationScenario when = given.When(new AddNoteMutation("a"));

        Assert.Empty(given.WhenMutations);
        Assert.Single(when.WhenMutations);
        Assert.Single(when.GivenMutations);
    }
}
