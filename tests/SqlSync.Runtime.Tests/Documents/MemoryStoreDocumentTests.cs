using SqlSync.Journals;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary><see cref="StoreDocumentTests"/> on the memory store.</summary>
public sealed class MemoryStoreDocumentTests : StoreDocumentTests
{
    private protected override IJournalStore NewStore() => new MemoryJournalStore();
}
