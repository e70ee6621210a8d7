using SqlSync.Journals;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Xunit;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>An entry in reassembly is charged to the budget its server's connections share (decision 0016).</summary>
public sealed class EntryAssemblerBudgetTests
{
    private const int KiB = 1024;

    [Fact]
    [Trait("Category", "Hostile")]
    public void AnEntryInReassemblyIsChargedAndGivenBackWhenItCompletesOrIsDropped()
    {
        var budget = new ReceiveBudget(256 * KiB);
        var assembler = new EntryAssembler(maxEntryBytes: 1 << 20, initialBytes: 16 * KiB, budget);
        byte[] part = new byte[16 * KiB];

        Assert.Null(assembler.Add(Part("a", 100 * KiB, 0, part)));
        Assert.Equal(16 * KiB, budget.HeldBytes); // the buffer grows with what arrived, not with what was announced
        Assert.Null(assembler.Add(Part("a", 100 * KiB, 16 * KiB, part)));
        Assert.Equal(32 * KiB, budget.HeldBytes); // doubled; the smaller buffer's charge went back
        assembler.Reset(); // the link closed
        Assert.Equal(0, budget.HeldBytes);

        for (int offset = 0; offset < 64 * KiB; offset += 16 * KiB)
        {
            byte[]? entry = assembler.Add(Part("b", 64 * KiB, offset, part));
            Assert.Equal(offset + (16 * KiB) == 64 * KiB, entry is not null);
        }

        Assert.Equal(0, budget.HeldBytes); // a finished entry is handed on: its charge goes back
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void ABufferTheSharedBudgetCannotCoverIsRefusedServerBusyAndTheOthersKeepTheirs()
    {
        var budget = new ReceiveBudget(64 * KiB);
        var first = new EntryAssembler(1 << 20, 48 * KiB, budget);
        var second = new EntryAssembler(1 << 20, 48 * KiB, budget);
        byte[] part = new byte[8 * KiB];
        Assert.Null(first.Add(Part("a", 1 << 20, 0, part)));
        Assert.Equal(48 * KiB, budget.HeldBytes);

        SqlSyncException busy = Assert.Throws<SqlSyncException>(() => second.Add(Part("b", 1 << 20, 0, part)));
        Assert.Equal(ProtocolErrorCode.ServerBusy, busy.Data[nameof(ProtocolErrorCode)]);
        Assert.False(second.InProgress);
        Assert.Equal(48 * KiB, budget.HeldBytes);

        first.Reset();
        Assert.Equal(0, budget.HeldBytes);
        Assert.Null(second.Add(Part("b", 1 << 20, 0, part))); // room again
    }

    [Fact]
    [Trait("Category", "Hostile")]
    public void APrincipalHoldsAtMostItsOpenDocumentsAndGetsThemBack()
    {
        var ledger = new QuotaLedger(new QuotaLimits(null, null, null, OpenDocuments: 2));
        PrincipalQuota quota = ledger.For("principal:trudy");
        Assert.True(quota.TryOpenDocument());
        Assert.True(quota.TryOpenDocument());
        Assert.False(quota.TryOpenDocument());
        Assert.Equal(2, quota.OpenDocuments);
        Assert.True(ledger.For("principal:alice").TryOpenDocument()); // another principal is not affected
        quota.DocumentClosed();
        Assert.True(quota.TryOpenDocument());
    }

    private static TimelineEntryPartMessage Part(string documentId, int entryLength, int offset, byte[] bytes) =>
        new(documentId, Lsn.Zero, entryLength, offset, bytes.AsMemory(0, Math.Min(bytes.Length, entryLength - offset)));
}
