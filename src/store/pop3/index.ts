export { Pop3Cache, accountDirName } from './cache';
export type { Pop3CacheOptions, RemovedMessage } from './cache';
export { checkMail, fetchFullBody } from './checkMail';
export type { CheckMailOptions, Pop3ConnectionOptions } from './checkMail';
export { acquireMaildropLock, maildropLockKey } from './lock';
export type { MaildropLock } from './lock';
export { planCheck, isDueForDeletion, validatePolicy } from './policy';
export { DEFAULT_POP3_POLICY } from './types';
export type { CachedPop3Message, CheckReport, LocalFlags, Pop3Policy } from './types';
