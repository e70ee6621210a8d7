using SqlSync.Documents;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// A coordinator's reload that fails half-way leaves its old database disposed and disposes it again on the next try,
/// from the storage-fault retry's timer, where an exception ends the process: disposing twice must be harmless.
/// </summary>
public sealed class DocumentDatabaseDisposeTests
{
    [Fact]
    public void DisposingADocumentsDatabaseTwiceIsHarmless()
    {
        using var document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "twice", Reducer = Reducer });
        document.Mutate(new CreateSchema());
        document.Database.Dispose();
        document.Database.Dispose(); // threw ObjectDisposedException from the sandbox's hooks on the closed connection
    }
}
