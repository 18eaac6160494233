/*
 * priv.h -- leave root after binding: the daemons bind their ports as
 * root, then become the configured user.
 */
#ifndef ORBL_PRIV_H
#define ORBL_PRIV_H

/* Become user (groups, gid, uid; no way back).  "" or NULL: stay.
 * Fatal if the user does not exist or the change fails. */
void	priv_drop(const char *user);

#endif
