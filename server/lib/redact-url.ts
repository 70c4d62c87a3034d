/** The URL with any password replaced by "***", for logs and error messages (postgres://, redis://). */
export function redactPassword(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
