using System.Globalization;
using Microsoft.Data.Sqlite;
using SqlSync.Journals;
using Xunit;

namespace SqlSync.Runtime.Tests.Vfs;

public sealed class VfsEquivalenceTests
{
    [Fact]
    [Trait("Category", "Vfs")]
    public void LargeTablesWithIndexesAndVacuumMatchAPlainSqliteFile()
    {
        string plainPath = Path.Combine(Path.GetTempPath(), $"sqlsync-plain-{Guid.NewGuid():N}.db");
        try
        {
            using var vfs = new VfsDatabase();
            using var plain = new SqliteConnection($"Data Source={plainPath};Pooling=False");
            plain.Open();
            Exec(plain, "PRAGMA page_size=4096; PRAGMA journal_mode=MEMORY;");
            RegisterFixedBlob(plain);
            vfs.Connection.ExecuteScript("SELECT 1"); // opens the file
            RegisterFixedBlob(vfs);

            Exec(plain, VfsWorkload.Schema);
            vfs.Connection.ExecuteScript(VfsWorkload.Schema);
            vfs.Commit();

            uint largest = 0;
            foreach (string batch in VfsWorkload.Batches(seed: 7, rows: 60_000))
            {
                Exec(plain, batch);
                vfs.Connection.ExecuteScript(batch);
                vfs.Commit();
                largest = Math.Max(largest, vfs.Storage.CommittedSizeInPages);
            }

            Assert.True(vfs.Storage.CommittedSizeInPages < largest, "VACUUM should have shrunk the database");
            foreach (string query in VfsWorkload.Queries)
            {
                Assert.Equal(Render(Query(plain, query)), Render(vfs.Connection.Query(query, ReadOnlySpan<object?>.Empty)));
            }

            Assert.Equal("ok", vfs.Connection.QueryScalar<string>("PRAGMA integrity_check", ReadOnlySpan<object?>.Empty));
            Assert.Equal(vfs.Storage.Checksum, ComputeChecksum(vfs));

            // A replica built only from the storage journal holds the same database.
            var copy = new MemoryJournal();
            LsnRange range = vfs.Journal.Range;
            for (ulong lsn = range.First.Value; lsn < range.Next.Value; lsn++)
            {
                copy.Append(vfs.Journal.Read(new Lsn(lsn)).Span);
            }

            using var replica = new VfsDatabase(copy);
            Assert.Equal(vfs.Storage.Checksum, replica.Storage.Checksum);
            foreach (string query in VfsWorkload.Queries)
            {
                Assert.Equal(Render(Query(plain, query)), Render(replica.Connection.Query(query, ReadOnlySpan<object?>.Empty)));
            }
        }
        finally
        {
            File.Delete(plainPath);
        }
    }

    private static ulong ComputeChecksum(VfsDatabase vfs)
    {
        ulong checksum = 0;
        for (uint page = 1; page <= vfs.Storage.CommittedSizeInPages; page++)
        {
            checksum ^= SqlSync.Storage.DatabaseChecksum.HashPage(page, vfs.Storage.CommittedPage(page));
        }

        return checksum;
    }

    /// <summary>A deterministic stand-in for randomblob, identical on both connections.</summary>
    private static void RegisterFixedBlob(SqliteConnection connection) =>
        connection.CreateFunction("randomblob_fixed", (long length, long seed) => FixedBlob(length, seed));

    private static void RegisterFixedBlob(VfsDatabase vfs) =>
        SQLitePCL.raw.sqlite3_create_function(GetHandle(vfs), "randomblob_fixed", 2, 1, null, (ctx, _, args) =>
            SQLitePCL.raw.sqlite3_result_blob(ctx, FixedBlob(SQLitePCL.raw.sqlite3_value_int64(args[0]), SQLitePCL.raw.sqlite3_value_int64(args[1]))));

    private static SQLitePCL.sqlite3 GetHandle(VfsDatabase vfs) => vfs.Connection.Handle;

    private static byte[] FixedBlob(long length, long seed)
    {
        var bytes = new byte[length];
        new Random((int)seed).NextBytes(bytes);
        return bytes;
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<object?[]> Query(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    private static string Render(IEnumerable<object?[]> rows) =>
        string.Join("\n", rows.Select(row => string.Join("|", row.Select(v => v switch
        {
            null => "NULL",
            byte[] b => Convert.ToHexString(b),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        }))));
}
