namespace SqlSync.Journals;

/// <summary>The store contract against memory journals that live as long as their store.</summary>
public sealed class MemoryJournalStoreContractTests : JournalStoreContractTests
{
    private readonly MemoryJournalStore _store = new();

    private protected override IJournalStore Store => _store;

    private protected override IDisposable FailWrites() => _store.FailWrites();

    private protected override void TearWrite(string name, Lsn lsn, byte[] entry)
    {
        // Memory writes cannot tear: a crash loses the store whole.
    }
}
