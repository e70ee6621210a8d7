using System.Net;
using SqlSync.Replication;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

public sealed class QuotaLedgerTests
{
    [Fact]
    [Trait("Category", "Replication")]
    public void AnonymousLinksShareOneAccountPerAddressAndIPv6PerPrefix()
    {
        Assert.Equal("principal:alice", QuotaLedger.KeyFor("alice", IPAddress.Loopback));
        Assert.Equal("address:127.0.0.1", QuotaLedger.KeyFor(null, IPAddress.Loopback));
        Assert.Equal("address:10.1.2.3", QuotaLedger.KeyFor(null, IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.Equal(QuotaLedger.KeyFor(null, IPAddress.Parse("2001:db8:1:2::1")), QuotaLedger.KeyFor(null, IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.NotEqual(QuotaLedger.KeyFor(null, IPAddress.Parse("2001:db8:1:2::1")), QuotaLedger.KeyFor(null, IPAddress.Parse("2001:db8:1:3::1")));
        Assert.NotEqual(QuotaLedger.KeyFor("address:127.0.0.1", null), QuotaLedger.KeyFor(null, IPAddress.Loopback)); // a principal cannot pose as an address
    }

    [Fact]
    [Trait("Category", "Replication")]
    public void WindowsRefuseOverTheLimitAndRenewWithTime()
    {
        var time = new ManualTime();
        var ledger = new QuotaLedger(new QuotaLimits(2, null, 100), time);
        PrincipalQuota quota = ledger.For("principal:alice");
        Assert.Same(quota, ledger.For("principal:alice"));
        Assert.True(quota.TryCreateDocument());
        Assert.True(quota.TryCreateDocument());
        Assert.False(quota.TryCreateDocument());
        Assert.True(quota.TryClaimTimeline()); // no limit
        Assert.True(quota.TryUpload(500)); // the first use of a window always fits
        Assert.False(quota.TryUpload(1));
        Assert.True(ledger.For("principal:bob").TryCreateDocument());

        time.Now += TimeSpan.FromMinutes(1);
        Assert.True(quota.TryUpload(60));
        Assert.True(quota.TryUpload(40));
        Assert.False(quota.TryUpload(1));
        Assert.False(quota.TryCreateDocument());
        time.Now += TimeSpan.FromHours(1);
        Assert.True(quota.TryCreateDocument());
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
