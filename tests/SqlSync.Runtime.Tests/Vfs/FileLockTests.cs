using SqlSync.Journals;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;
using Xunit;
using static SqlSync.Storage.Vfs.SqliteVfsInterop;

namespace SqlSync.Runtime.Tests.Vfs;

public sealed class FileLockTests
{
    private static (FileLock Lock, MainFileHandle Writer, MainFileHandle Reader, MainFileHandle Other) Setup()
    {
#pragma warning disable CA2000 // a memory journal holds nothing to release; the file lives as long as the test
        var file = new PageFile("lock-test", PageStorage.Open("lock-test", new MemoryJournal()));
#pragma warning restore CA2000
        return (file.Lock, new MainFileHandle(file, readOnly: false), new MainFileHandle(file, readOnly: true), new MainFileHandle(file, readOnly: false));
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public void SharedIsBusyWhileAnotherHandleIsPendingOrExclusive()
    {
        var (fileLock, writer, reader, _) = Setup();
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_SHARED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(reader, SQLITE_LOCK_SHARED)); // RESERVED lets readers in
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(writer, SQLITE_LOCK_EXCLUSIVE)); // a reader is in: PENDING
        Assert.Equal(SQLITE_LOCK_PENDING, writer.LockLevel);
        Assert.Equal(SQLITE_OK, fileLock.Unlock(reader, SQLITE_LOCK_NONE));
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(reader, SQLITE_LOCK_SHARED)); // PENDING keeps new readers out
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_EXCLUSIVE));
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(reader, SQLITE_LOCK_SHARED));
        Assert.True(fileLock.IsReserved);
        Assert.Equal(SQLITE_OK, fileLock.Unlock(writer, SQLITE_LOCK_NONE));
        Assert.False(fileLock.IsReserved);
        Assert.Equal(SQLITE_OK, fileLock.Lock(reader, SQLITE_LOCK_SHARED));
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public void OnlyOneHandleHoldsReservedAndReadOnlyHandlesNever()
    {
        var (fileLock, writer, reader, other) = Setup();
        fileLock.Lock(writer, SQLITE_LOCK_SHARED);
        fileLock.Lock(other, SQLITE_LOCK_SHARED);
        fileLock.Lock(reader, SQLITE_LOCK_SHARED);
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(other, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(other, SQLITE_LOCK_EXCLUSIVE));
        fileLock.Unlock(writer, SQLITE_LOCK_SHARED);
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(reader, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(other, SQLITE_LOCK_RESERVED));
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public void AHoldWaitsForReadersKeepsNewOnesOutAndLetsTheEngineWriterIn()
    {
        var (fileLock, writer, reader, other) = Setup();
        Assert.Equal(SQLITE_OK, fileLock.Lock(reader, SQLITE_LOCK_SHARED));
        Assert.False(fileLock.TryHold(writer, TimeSpan.FromMilliseconds(50))); // the reader is still in
        Assert.Equal(SQLITE_OK, fileLock.Lock(other, SQLITE_LOCK_SHARED)); // a failed hold leaves no trace

        fileLock.Unlock(reader, SQLITE_LOCK_NONE);
        fileLock.Unlock(other, SQLITE_LOCK_NONE);
        Assert.True(fileLock.TryHold(writer, TimeSpan.FromSeconds(5)));
        Assert.Equal(SQLITE_BUSY, fileLock.Lock(reader, SQLITE_LOCK_SHARED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_SHARED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_RESERVED));
        Assert.Equal(SQLITE_OK, fileLock.Lock(writer, SQLITE_LOCK_EXCLUSIVE));
        fileLock.Unlock(writer, SQLITE_LOCK_NONE);
        fileLock.Release();
        Assert.Equal(SQLITE_OK, fileLock.Lock(reader, SQLITE_LOCK_SHARED));
    }

    [Fact]
    [Trait("Category", "Vfs")]
    public async Task AHoldTakenWhileAReaderIsInFinishesWhenTheReaderLeaves()
    {
        var (fileLock, writer, reader, _) = Setup();
        fileLock.Lock(reader, SQLITE_LOCK_SHARED);
        Task<bool> hold = Task.Run(() => fileLock.TryHold(writer, TimeSpan.FromSeconds(30)));
        var probe = new MainFileHandle(writer.File, readOnly: true);
        bool KeptOut()
        {
            if (fileLock.Lock(probe, SQLITE_LOCK_SHARED) == SQLITE_BUSY)
            {
                return true;
            }

            fileLock.Unlock(probe, SQLITE_LOCK_NONE);
            return false;
        }

        Assert.True(SpinWait.SpinUntil(KeptOut, TimeSpan.FromSeconds(10)), "the hold never kept new readers out");
        Assert.False(hold.IsCompleted);
        fileLock.Unlock(reader, SQLITE_LOCK_NONE);
        Assert.True(await hold.WaitAsync(TimeSpan.FromSeconds(30)));
        fileLock.Release();
    }
}
