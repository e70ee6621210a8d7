namespace SqlSync.Journals;

public sealed class MemoryJournalContractTests : JournalContractTests
{
    private protected override IJournal Create() => new MemoryJournal();

    private protected override IJournal Reopen(IJournal journal) => journal;
}
