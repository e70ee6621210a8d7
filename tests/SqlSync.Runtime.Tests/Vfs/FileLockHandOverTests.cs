using SqlSync.Journals;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;
using Xunit;
using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Runtime.Tests.Vfs;

/// <summary>A reader that finds the engine writer's lock waits for it (bounded) and asks for it.</summary>
public sealed class FileLockHandOverTests
{
    private static (PageFile File, MainFileHandle Writer, MainFileHandle Reader) Setup()
    {
#pragma warning disable CA2000 // a memory journal and page storage that live as long as the test; nothing native to release
        var file = new PageFile("handover-test", PageStorage.Open("handover-test", new MemoryJournal()));
#pragma warning restore CA2000
        var writer = new MainFileHandle(file, readOnly: false);
        file.EngineWriter = writer;
        Assert.Equal(SQLITE_OK, file.Lock.Lock(writer, SQLITE_LOCK_SHARED));
        Assert.Equal(SQLITE_OK, file.Lock.Lock(writer, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_OK, file.Lock.Lock(writer, SQLITE_LOCK_EXCLUSIVE));
        return (file, writer, new MainFileHandle(file, readOnly: true));
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AReaderAsksTheDocumentAndGetsInWhenTheWriterLetsGo()
    {
        var (file, writer, reader) = Setup();
        int asked = 0;
        file.HandOver = () =>
        {
            asked++;
            file.Lock.Unlock(writer, SQLITE_LOCK_NONE); // what an idle document does: its writer lets go
        };

        Assert.Equal(SQLITE_OK, file.Lock.Lock(reader, SQLITE_LOCK_SHARED));
        Assert.Equal(1, asked);
        Assert.Equal(0, file.Lock.ReadersWaiting);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task AReaderWaitsWhileTheDocumentIsBusyAndGetsInWhenTheWriterUnlocks()
    {
        var (file, writer, reader) = Setup();
        Task<int> locking = Task.Run(() => file.Lock.Lock(reader, SQLITE_LOCK_SHARED));
        Assert.True(SpinWait.SpinUntil(() => file.Lock.ReadersWaiting == 1, TimeSpan.FromSeconds(30)), "the reader did not wait");
        Assert.False(locking.IsCompleted);

        file.Lock.Unlock(writer, SQLITE_LOCK_NONE);
        Assert.Equal(SQLITE_OK, await locking.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, file.Lock.ReadersWaiting);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task AWriterThatNeverLetsGoMakesTheReaderBusyAfterABoundedWait()
    {
        var (file, _, reader) = Setup();
        int result = await Task.Run(() => file.Lock.Lock(reader, SQLITE_LOCK_SHARED)).WaitAsync(FileLock.EngineWriterWait * 10);
        Assert.Equal(SQLITE_BUSY, result);
        Assert.Equal(0, file.Lock.ReadersWaiting);
        Assert.Equal(SQLITE_LOCK_NONE, reader.LockLevel);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AHoldStillMakesReadersBusyAtOnce()
    {
        var (file, writer, reader) = Setup();
        Assert.True(file.Lock.TryHold(writer, TimeSpan.FromSeconds(5)));
        file.HandOver = () => throw new InvalidOperationException("a held file is not handed over");
        Assert.Equal(SQLITE_BUSY, file.Lock.Lock(reader, SQLITE_LOCK_SHARED));
        file.Lock.Release();
    }
}
