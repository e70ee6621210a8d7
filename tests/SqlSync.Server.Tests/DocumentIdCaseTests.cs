using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// Ids that differ only in case name one directory on Windows and macOS: the server refuses the second
/// spelling (a per-document error; the link goes on), whether the first is open or only on disk (issue 13, case 9).
/// </summary>
public sealed class DocumentIdCaseTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Hostile")]
    public async Task AnIdThatDiffersOnlyInCaseFromAnOpenOrStoredDocumentIsRefusedAlone()
    {
        await using (var server = await TestServer.StartAsync(ServerDirectory))
        {
            await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
            await OpenAsync(raw, "Notes");
            await RefusedAsync(raw, "notes"); // open now
            await RefusedAsync(raw, "NOTES");
            await OpenAsync(raw, "other"); // the link goes on
        }

        Assert.Equal(new[] { "Notes", "other" }, Directory.GetDirectories(ServerDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await using (var server = await TestServer.StartAsync(ServerDirectory))
        {
            await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
            await RefusedAsync(raw, "nOtEs"); // only on disk
            await OpenAsync(raw, "Notes");
            Assert.False(server.Host.IsOpen("nOtEs"));
        }
    }

    private static async Task OpenAsync(RawSyncSocket raw, string documentId)
    {
        await raw.SendAsync(new OpenDocumentMessage(documentId, TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        await raw.ExpectAsync<DocumentOpenedMessage>(o => o.DocumentId == documentId);
    }

    private static async Task RefusedAsync(RawSyncSocket raw, string documentId)
    {
        await raw.SendAsync(new OpenDocumentMessage(documentId, TimelineId.New(), LsnRange.Empty, TimelineSecret.New()));
        ErrorMessage error = await raw.ExpectAsync<ErrorMessage>();
        Assert.Equal(ProtocolErrorCode.DocumentFailed, error.Code);
        Assert.Equal(documentId, error.DocumentId);
        Assert.Contains("differs only in case", error.Message, StringComparison.Ordinal);
    }
}
