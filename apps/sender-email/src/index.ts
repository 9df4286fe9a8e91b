export { SenderEmailModule } from './sender-email.module';
