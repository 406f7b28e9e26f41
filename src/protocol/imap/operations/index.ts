/** IMAP operations over an authenticated imapflow client; each takes and releases the lock it needs. */
export { ImapCommandError, serverHas } from './command';
export { FlagChange, markAllRead, setFlags } from './flags';
export {
  CopyResult,
  copyMessages,
  DeleteMethod,
  DeleteOptions,
  DeleteResult,
  deleteMessages,
  MoveMethod,
  moveMessages,
  MoveResult,
} from './move';
export {
  createFolder,
  CreateFolderResult,
  deleteFolder,
  DeleteFolderOptions,
  FolderEntry,
  findSpecialUseFolder,
  ListAllOptions,
  listAllFolders,
  renameFolder,
  setSubscribed,
} from './folders';
export { AccountSearchResult, FolderSearchResult, searchAccount, SearchCriteria, searchFolder, searchFolderDetailed, SearchOptions } from './search';
export { OfflineOperation, OfflineOperationKind } from './offlineOperation';
export { deleteDraft, DraftCleanup, DRAFT_HEADER, pickSpecialFolder, saveDraft, SaveDraftResult, SpecialFolderUse } from './drafts';
