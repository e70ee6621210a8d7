using System.Net.WebSockets;
using SqlSync.Replication;
using SqlSync.Transport;
using Xunit;

namespace SqlSync.Runtime.Tests.Transport;

/// <summary>
/// The client's reconnect delays (issue 13, point 5): refusals back off like failures, only a session that synced
/// starts over, and a refusal that retrying cannot heal waits the maximum at once.
/// </summary>
public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(2);

    private static SqlSyncException Refusal(ProtocolErrorCode code) => ProtocolException.Create(code, "refused");

    [Fact]
    [Trait("Category", "Replication")]
    public void RefusalsAfterAWelcomeGrowTheDelayLikeFailedConnections()
    {
        var backoff = new ReconnectBackoff(Min, Max);
        var delays = Enumerable.Range(0, 7).Select(_ => backoff.Next(synced: false, Refusal(ProtocolErrorCode.InternalError)).TotalMilliseconds).ToArray();
        Assert.Equal(new double[] { 100, 200, 400, 800, 1600, 2000, 2000 }, delays);

        var lost = new ReconnectBackoff(Min, Max);
        Assert.Equal(new double[] { 100, 200, 400 }, Enumerable.Range(0, 3).Select(_ => lost.Next(false, new WebSocketException("refused")).TotalMilliseconds));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void OnlyASessionThatSyncedAndWasNotRefusedStartsOver()
    {
        var backoff = new ReconnectBackoff(Min, Max);
        backoff.Next(false, Refusal(ProtocolErrorCode.FrameTooLarge));
        backoff.Next(false, Refusal(ProtocolErrorCode.FrameTooLarge));

        // Synced some documents, then one was refused: still growing (else one bad document would storm again).
        Assert.Equal(400, backoff.Next(synced: true, Refusal(ProtocolErrorCode.FrameTooLarge)).TotalMilliseconds);

        // Synced and then lost the connection: start over.
        Assert.Equal(100, backoff.Next(synced: true, new WebSocketException("reset")).TotalMilliseconds);
        Assert.Equal(1, backoff.Failures);

        // A close without an error frame is a lost connection, not a refusal.
        backoff.Next(false, null);
        Assert.Equal(100, backoff.Next(synced: true, new SqlSyncException(SqlSyncErrorCode.Protocol, "The server closed the connection.")).TotalMilliseconds);
    }

    [Theory]
    [Trait("Category", "Replication")]
    [InlineData((int)ProtocolErrorCode.UnsupportedVersion)]
    [InlineData((int)ProtocolErrorCode.AccessDenied)]
    [InlineData((int)ProtocolErrorCode.TimelineForgery)]
    public void ARefusalThatRetryingCannotHealWaitsTheMaximum(int errorCode)
    {
        // an int: ProtocolErrorCode is internal and a public test method cannot take it
        var code = (ProtocolErrorCode)errorCode;
        var backoff = new ReconnectBackoff(Min, Max);
        Assert.Equal(Max, backoff.Next(synced: false, Refusal(code)));
        Assert.Equal(Max, backoff.Next(synced: true, Refusal(code)));
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void JitterStaysWithinHalfAndOneAndAHalfTimesTheDelay()
    {
        var random = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            TimeSpan jittered = ReconnectBackoff.Jitter(Max, random);
            Assert.InRange(jittered, Max / 2, Max * 1.5);
        }
    }
}
