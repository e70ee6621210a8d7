namespace SqlSync.Journals;

public sealed class FileJournalContractTests : JournalContractTests
{
    private readonly TempDirectory _temp = new();

    private protected override IJournal Create() => FileJournal.Open(_temp.Sub("journal"));

    private protected override IJournal Reopen(IJournal journal)
    {
        journal.Dispose();
        return FileJournal.Open(_temp.Sub("journal"));
    }

    public override void Dispose()
    {
        _temp.Dispose();
        base.Dispose();
    }
}
