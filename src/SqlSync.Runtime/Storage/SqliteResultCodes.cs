using System.Globalization;

namespace SqlSync.Storage;

/// <summary>The names of SQLite's result codes (sqlite.org/rescode.html), for messages.</summary>
internal static class SqliteResultCodes
{
    private static readonly string[] Primary =
    {
        "OK", "ERROR", "INTERNAL", "PERM", "ABORT", "BUSY", "LOCKED", "NOMEM", "READONLY", "INTERRUPT",
        "IOERR", "CORRUPT", "NOTFOUND", "FULL", "CANTOPEN", "PROTOCOL", "EMPTY", "SCHEMA", "TOOBIG",
        "CONSTRAINT", "MISMATCH", "MISUSE", "NOLFS", "AUTH", "FORMAT", "RANGE", "NOTADB", "NOTICE", "WARNING",
    };

    /// <summary>Extended codes by primary code; index i is extended code primary | (i + 1) &lt;&lt; 8.</summary>
    private static readonly Dictionary<int, string[]> Extended = new()
    {
        [0] = new[] { "LOAD_PERMANENTLY", "SYMLINK" },
        [1] = new[] { "MISSING_COLLSEQ", "RETRY", "SNAPSHOT" },
        [4] = new[] { "ROLLBACK" },
        [5] = new[] { "RECOVERY", "SNAPSHOT", "TIMEOUT" },
        [6] = new[] { "SHAREDCACHE", "VTAB" },
        [8] = new[] { "RECOVERY", "CANTLOCK", "ROLLBACK", "DBMOVED", "CANTINIT", "DIRECTORY" },
        [10] = new[]
        {
            "READ", "SHORT_READ", "WRITE", "FSYNC", "DIR_FSYNC", "TRUNCATE", "FSTAT", "UNLOCK", "RDLOCK", "DELETE",
            "BLOCKED", "NOMEM", "ACCESS", "CHECKRESERVEDLOCK", "LOCK", "CLOSE", "DIR_CLOSE", "SHMOPEN", "SHMSIZE",
            "SHMLOCK", "SHMMAP", "SEEK", "DELETE_NOENT", "MMAP", "GETTEMPPATH", "CONVPATH", "VNODE", "AUTH",
            "BEGIN_ATOMIC", "COMMIT_ATOMIC", "ROLLBACK_ATOMIC", "DATA", "CORRUPTFS", "IN_PAGE",
        },
        [11] = new[] { "VTAB", "SEQUENCE", "INDEX" },
        [14] = new[] { "NOTEMPDIR", "ISDIR", "FULLPATH", "CONVPATH", "DIRTYWAL", "SYMLINK" },
        [19] = new[]
        {
            "CHECK", "COMMITHOOK", "FOREIGNKEY", "FUNCTION", "NOTNULL", "PRIMARYKEY", "TRIGGER", "UNIQUE", "VTAB",
            "ROWID", "PINNED", "DATATYPE",
        },
        [23] = new[] { "USER" },
        [27] = new[] { "RECOVER_WAL", "RECOVER_ROLLBACK", "RBU" },
        [28] = new[] { "AUTOINDEX" },
    };

    /// <summary>"SQLITE_CONSTRAINT_UNIQUE" for 2067; a number for a code this table does not know.</summary>
    public static string Name(int code)
    {
        int primary = code & 0xFF;
        int index = (code >> 8) - 1;
        if (primary >= Primary.Length)
        {
            return code switch
            {
                100 => "SQLITE_ROW",
                101 => "SQLITE_DONE",
                _ => "SQLite result " + code.ToString(CultureInfo.InvariantCulture),
            };
        }

        string name = "SQLITE_" + Primary[primary];
        if (index < 0)
        {
            return name;
        }

        return Extended.TryGetValue(primary, out string[]? names) && index < names.Length
            ? name + "_" + names[index]
            : name + " (extended " + code.ToString(CultureInfo.InvariantCulture) + ")";
    }
}
