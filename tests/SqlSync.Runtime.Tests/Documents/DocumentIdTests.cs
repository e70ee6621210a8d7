using SqlSync.Documents;
using Xunit;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>A document id names a directory on the coordinator: only names that are safe on every OS.</summary>
public sealed class DocumentIdTests
{
    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("abc.")]
    [InlineData("abc\n")]
    [InlineData("a\u0001b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("CON")]
    [InlineData("nul")]
    [InlineData("com1.txt")]
    [InlineData("Lpt9")]
    public void UnsafeIdsAreRefused(string id)
    {
        var error = Assert.Throws<SqlSyncException>(() => DocumentIds.Validate(id));
        Assert.Equal(SqlSyncErrorCode.InvalidArgument, error.Code);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [Trait("Category", "Hostile")]
    [InlineData("todos")]
    [InlineData(".hidden")]
    [InlineData("a.b")]
    [InlineData("Team-42_notes.v2")]
    [InlineData("console")]
    [InlineData("com10")]
    public void SafeIdsAreAccepted(string id) => DocumentIds.Validate(id);

    [Fact]
    [Trait("Category", "Hostile")]
    public void TooLongIdsAreRefused()
    {
        DocumentIds.Validate(new string('a', 128));
        Assert.Throws<SqlSyncException>(() => DocumentIds.Validate(new string('a', 129)));
    }
}
