using Microsoft.AspNetCore.Http;
using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Server;
using SqlSync.Transport;

namespace SqlSync.Orleans.Tests;

/// <summary>The authorization hook runs on the connection's silo; the document's grain, wherever it lives, keeps to its answer.</summary>
public sealed class ClusterAuthorizationTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AccessIsDecidedOnTheConnectionsSiloAndHoldsAtTheGrain()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(3, TokenAuthorization);
        using LocalDocument writer = cluster.Replica("writer", "shared");
        using LocalDocument reader = cluster.Replica("reader", "shared");
        using LocalDocument thief = cluster.Replica("thief", "secret");
        using LocalDocument lurker = cluster.Replica("lurker", "nothing");
        writer.Log("w1");
        thief.Log("stolen");
        await using SqlSyncClient writerSync = cluster.Connect([writer], "writer-walt", cluster.UriOf(cluster.Silos[1]));
        await using SqlSyncClient readerSync = cluster.Connect([reader], "reader", cluster.UriOf(cluster.Silos[2]));
        await using SqlSyncClient thiefSync = cluster.Connect([thief], "writer-tom", cluster.UriOf(cluster.Silos[0]));
        await using SqlSyncClient lurkerSync = cluster.Connect([lurker], "reader", cluster.UriOf(cluster.Silos[0]));

        // A reader on another silo than the writer receives the writer's storage.
        await Eventually.TrueAsync(() => writer.PendingMutationCount == 0 && reader.StorageRange.Next == writer.StorageRange.Next, "the reader received the writer's storage");

        // Its own mutations stay local: the grain's link has the read-only access the reader's silo granted.
        reader.Log("r1");
        writer.Log("w2");
        await Eventually.TrueAsync(() => writer.PendingMutationCount == 0 && reader.StorageRange.Next == writer.StorageRange.Next, "the reader received w2");
        Assert.Equal(["w1", "w2"], Replicas.Log(writer));
        Assert.Equal(1, reader.PendingMutationCount);

        // A denied document closes the link with AccessDenied and is never created; a reader cannot create one either.
        await Eventually.TrueAsync(() => thiefSync.LastError is SqlSyncException, "the thief was refused");
        Assert.Equal(ProtocolErrorCode.AccessDenied, thiefSync.LastError!.Data[nameof(ProtocolErrorCode)]);
        await Eventually.TrueAsync(() => lurkerSync.GetSyncState(lurker).Status == DocumentSyncStatus.Refused, "the reader's open of a missing document was refused");
        Assert.Contains(nameof(ProtocolErrorCode.DocumentNotFound), lurkerSync.GetSyncState(lurker).Reason);
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, "secret")), "the denied document was never opened");
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, "nothing")), "a reader created no document");
        Assert.Equal(1, thief.PendingMutationCount);
    }

    private static void TokenAuthorization(SqlSyncServerOptions options)
    {
        options.GetPrincipal = Token;
        options.Authorize = (context, documentId) =>
        {
            string? token = Token(context);
            if (documentId == "secret" || token is null)
            {
                return DocumentAccess.Denied;
            }

            return token.StartsWith("writer-", StringComparison.Ordinal) ? DocumentAccess.ReadWrite
                : token == "reader" ? DocumentAccess.ReadOnly : DocumentAccess.Denied;
        };
    }

    private static string? Token(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }
}
