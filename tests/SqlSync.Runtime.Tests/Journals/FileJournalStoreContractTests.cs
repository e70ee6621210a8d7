using Xunit;

namespace SqlSync.Journals;

/// <summary>The store contract against the default store: file journals under a directory.</summary>
[Collection(StorageFaultsGroup.Name)]
public sealed class FileJournalStoreContractTests : JournalStoreContractTests
{
    private readonly TempDirectory _temp = new();
    private readonly FileJournalStore _store;

    public FileJournalStoreContractTests() => _store = new FileJournalStore(_temp.Sub("document"), warning: null);

    private protected override IJournalStore Store => _store;

    private protected override bool FencesAtOpen => true;

    private protected override IDisposable FailWrites()
    {
        string root = _temp.Path;
        StorageFaults.Inject = (path, _) => path.StartsWith(root, StringComparison.Ordinal) ? new IOException("injected write failure") : null;
        return new Scope(() => StorageFaults.Inject = null);
    }

    private protected override void TearWrite(string name, Lsn lsn, byte[] entry)
    {
        // A frame cut short by a crash: its header and part of its payload, at the end of the last segment.
        string segment = Directory.GetFiles(Path.Combine(_temp.Sub("document"), name), "*.seg").Order(StringComparer.Ordinal).Last();
        byte[] frame = JournalFrame.Encode(lsn, entry);
        using var stream = new FileStream(segment, FileMode.Append, FileAccess.Write);
        stream.Write(frame, 0, Math.Max(1, frame.Length / 2));
    }

    public override void Dispose()
    {
        _temp.Dispose();
        base.Dispose();
    }

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
