namespace SqlSync.Documents;

/// <summary>Points inside <see cref="CoordinatorDocument.Step"/> where tests inject a crash.</summary>
internal enum CoordinatorStepPoint
{
    BeforeSqliteCommit,
    AfterSqliteCommit,
    BeforeStorageAppend,
    AfterStorageAppend,
}
