using Xunit;
using SqlSync.Journals;
using SqlSync.Storage;
using SqlSync.Storage.Vfs;

namespace SqlSync.Runtime.Tests.Vfs;

/// <summary>A database served by the page VFS over a memory journal, without a document around it.</summary>
internal sealed class VfsDatabase : IDisposable
{
    private static int s_count;

    public VfsDatabase(IJournal? journal = null)
    {
        Name = $"vfs-test-{Interlocked.Increment(ref s_count)}";
        Journal = journal ?? new MemoryJournal();
        Storage = PageStorage.Open(Name, Journal);
        File = PageVfs.Register(Name, Storage);
        Connection = DatabaseConnection.Open(PageVfs.WriterUri(File), readOnly: false);
    }

    public string Name { get; }

    public IJournal Journal { get; }

    public PageStorage Storage { get; }

    public PageFile File { get; }

    public DatabaseConnection Connection { get; }

    /// <summary>Publishes pending pages as one storage entry, as the coordinator does after a step.</summary>
    public void Commit()
    {
        Assert.True(File.Lock.TryHold(File.EngineWriter, TimeSpan.FromSeconds(30)));
        try
        {
            Storage.Commit();
        }
        finally
        {
            File.Lock.Release();
        }
    }

    public void Dispose()
    {
        Connection.Dispose();
        PageVfs.Unregister(Name);
    }
}
